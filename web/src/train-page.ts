/**
 * "Train text": choose a text and a model, train it in a Web Worker, watch
 * the training and validation loss, the speed and samples as training goes,
 * and save or load the model.
 *
 * The address may force the number of training threads, `?threads=N`
 * (1 to compare with single-threaded training; the default follows the
 * cores and the batch, see threads.ts).
 */

import excerpt from 'virtual:excerpt';
import { cellType } from '../../src/cells/registry.js';
import { CELL_KINDS, type CellKind } from '../../src/cells/cell.js';
import { LineChart } from './chart.js';
import { el, field, numberInput, select } from './dom.js';
import { MAX_FORCED_THREADS, type FromWorker, type Snapshot, type ToWorker, type TrainSettings } from './protocol.js';

/** Updates whose samples stay in the list however long training runs (the worker samples after them). */
const PINNED = [10, 25, 50, 100];
/** Other samples kept (newest first). */
const KEEP_SAMPLES = 8;
/** Updates between validation losses (as in train-worker.ts). */
const VALID_EVERY = 25;

const CELL_LABELS: Record<CellKind, string> = { rnn: 'RNN (Elman, tanh)', lstm: 'LSTM', gru: 'GRU' };

export interface TrainPage {
  /** A copy of the current model, or null before the first set-up. */
  snapshot(): Promise<Snapshot | null>;
  /** The text being trained on. */
  text(): string;
  /** The latest sample shown. */
  lastSample(): string;
  /** The training loss of every update shown so far, [update, loss]. */
  losses(): (readonly [number, number])[];
  /** The validation losses shown so far, [update, loss]. */
  validation(): (readonly [number, number])[];
}

export function trainPage(panel: HTMLElement): TrainPage {
  const available = CELL_KINDS.filter((k) => cellType(k) !== undefined);
  const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
  const send = (m: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(m, transfer);

  // --- controls ---
  const source = select([['excerpt', 'Moby Dick, first 50,000 characters (bundled)'], ['paste', 'Text I paste below']], 'excerpt', 'train-source');
  const pasted = el('textarea', { id: 'train-text', rows: 5, placeholder: 'Paste at least a few thousand characters of text here.', spellcheck: 'false' });
  const cell = select(CELL_KINDS.map((k) => [k, CELL_LABELS[k] + (available.includes(k) ? '' : ' (not available yet)')] as const), available.includes('lstm') ? 'lstm' : 'rnn', 'train-cell');
  for (const o of Array.from(cell.options)) o.disabled = !available.includes(o.value as CellKind);
  const hidden = numberInput(64, 4, 512, 1, 'train-hidden');
  const layers = numberInput(1, 1, 4, 1, 'train-layers');
  const seqLength = numberInput(32, 2, 256, 1, 'train-seq');
  const learningRate = numberInput(0.005, 0.00001, 1, 'any', 'train-lr');
  const batchSize = numberInput(16, 1, 128, 1, 'train-batch');
  const startBtn = el('button', { type: 'button', id: 'train-start', class: 'primary', text: 'Start' });
  const resetBtn = el('button', { type: 'button', id: 'train-reset', text: 'Reset' });
  const saveBtn = el('button', { type: 'button', id: 'train-save', text: 'Save model' });
  const loadInput = el('input', { type: 'file', id: 'train-load', accept: '.rnn,application/octet-stream', class: 'visually-hidden' });
  const loadLabel = el('label', { for: 'train-load', class: 'button', text: 'Load model…' });
  const temp = el('input', { type: 'range', id: 'train-temp', min: 0.1, max: 2, step: 0.05, value: 0.8 });
  const tempOut = el('output', { for: 'train-temp', id: 'train-temp-value', text: '0.80' });
  const sampleBtn = el('button', { type: 'button', id: 'train-sample', text: 'Sample now' });
  const status = el('p', { id: 'train-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const note = el('p', { id: 'train-note', class: 'note' });
  const stats = el('dl', { class: 'stats', id: 'train-stats' });
  const samples = el('ol', { id: 'train-samples', class: 'samples', 'aria-live': 'polite', reversed: true });

  const chart = new LineChart({ title: 'Loss per character (cross-entropy, nats)', xLabel: 'updates', yLabel: 'loss', integerX: true, height: 230, formatY: (y) => y.toFixed(3) });
  chart.figure.id = 'train-chart';
  const verdict = el('p', { id: 'train-verdict', class: 'verdict', 'aria-live': 'polite' });
  const newest = el('div', { id: 'train-newest', class: 'newest', 'aria-live': 'polite' },
    el('span', { class: 'when', text: 'The newest sample appears here after 10 updates.' }), el('pre', {}));
  const trainPts: [number, number][] = [];
  const validPts: [number, number][] = [];
  const smooth: [number, number][] = [];
  const pastedField = field('Your text', pasted, 'At least 500 characters.');
  pastedField.hidden = true;

  panel.append(
    el('div', { class: 'dashboard' },
      el('div', { class: 'dash-actions' },
        el('h2', { text: 'Train a character model' }),
        el('div', { class: 'buttons' }, startBtn, resetBtn, saveBtn, loadInput, loadLabel),
        status, note),
      el('form', { class: 'controls dash-settings', id: 'train-form', 'aria-label': 'Training settings' },
        el('fieldset', {}, el('legend', { text: 'Text' }), field('Train on', source), pastedField),
        el('fieldset', {}, el('legend', { text: 'Model and training' }),
          el('div', { class: 'row' },
            field('Cell', cell), field('Hidden size H', hidden), field('Layers', layers)),
          el('div', { class: 'row' },
            field('Sequence length T', seqLength, 'characters per window'), field('Learning rate', learningRate, 'Adam step size'), field('Batch B', batchSize, 'windows per update')))),
      el('div', { class: 'dash-view' }, chart.figure, verdict, newest, stats)),
    el('p', { class: 'lead', text: 'The network reads the text one character at a time and learns to predict the next one. Training runs in a background worker: exact backpropagation through each window, gradients clipped to a global norm of 5, Adam updates. The last 10% of the text is held out to measure the validation loss: when it stops falling while the training loss still falls, the network is memorising its training text rather than learning the language (overfitting).' }),
    el('section', { class: 'samples-box', 'aria-labelledby': 'samples-h' },
      el('h3', { id: 'samples-h', text: 'Samples as training goes' }),
      el('p', { class: 'hint', text: 'The samples after 10, 25, 50 and 100 updates stay pinned: compare them with the newest to see what the network learnt first (spaces and word lengths, then common words).' }),
      el('div', { class: 'row' }, field('Temperature', temp, 'low: safe and repetitive; high: adventurous'), tempOut, sampleBtn),
      samples),
  );

  // --- state ---
  let running = false;
  let step = 0;
  let ready = false;
  let lastSample = '';
  let snapshotWaiter: ((s: Snapshot | null) => void) | null = null;
  let charsPerSecond = 0;
  /** The lowest validation loss so far, [update, loss]. */
  let best: [number, number] | null = null;

  const forcedThreads = threadsFromAddress();
  const currentText = (): string => (source.value === 'paste' ? pasted.value : excerpt);
  const settings = (): TrainSettings => ({
    cell: cell.value as CellKind,
    hiddenSize: clampInt(hidden, 4, 512),
    layers: clampInt(layers, 1, 4),
    seqLength: clampInt(seqLength, 2, 256),
    learningRate: clampNum(learningRate, 1e-5, 1),
    batchSize: clampInt(batchSize, 1, 128),
    clip: 5,
    seed: 1,
    ...(forcedThreads !== undefined ? { threads: forcedThreads } : {}),
  });

  const setStat = (name: string, value: string): void => {
    let dd = stats.querySelector<HTMLElement>(`dd[data-stat="${name}"]`);
    if (!dd) {
      dd = el('dd', { 'data-stat': name });
      stats.append(el('div', { class: 'stat' }, el('dt', { text: name }), dd));
    }
    dd.textContent = value;
  };

  const redraw = (): void => chart.setSeries([
    { key: 'train', label: 'training', points: trainPts },
    { key: 'smooth', label: 'training (avg of 20)', points: smooth },
    { key: 'valid', label: 'validation', points: validPts },
  ], {
    ...(trainPts.length === 0 ? { xDomain: [step, step + 10] as const } : {}),
    points: best ? [{ key: 'best', x: best[0], y: best[1], label: `best ${best[1].toFixed(3)}` }] : [],
  });

  /** Plain words on the validation loss: is it still falling, or has the model begun to overfit? */
  const judge = (): void => {
    const last = validPts[validPts.length - 1];
    if (!best || !last) { verdict.textContent = ''; return; }
    const since = last[0] - best[0];
    verdict.classList.toggle('warn', since >= 3 * VALID_EVERY && last[1] > best[1] + 0.01);
    verdict.textContent = verdict.classList.contains('warn')
      ? `Validation loss has not improved since update ${best[0]} (best ${best[1].toFixed(3)}, now ${last[1].toFixed(3)}): the network has begun to memorise its training text (overfitting). More updates will not help; a smaller model or more text would.`
      : `Validation loss ${last[1].toFixed(3)}, best so far ${best[1].toFixed(3)} at update ${best[0]}.`;
  };

  /** Forgets the chart's history (a new or loaded model). */
  const clearHistory = (): void => {
    trainPts.length = 0;
    validPts.length = 0;
    smooth.length = 0;
    best = null;
    charsPerSecond = 0;
    samples.replaceChildren();
    newest.querySelector('.when')!.textContent = 'The newest sample appears here after 10 updates.';
    newest.querySelector('pre')!.textContent = '';
    verdict.textContent = '';
    verdict.classList.remove('warn');
    for (const s of ['characters/s', 'training loss', 'validation loss']) stats.querySelector(`dd[data-stat="${s}"]`)?.closest('.stat')?.remove();
  };

  const reset = (): void => {
    const text = currentText();
    clearHistory();
    step = 0;
    ready = false;
    redraw();
    note.textContent = '';
    if (source.value === 'paste' && text.length < 500) {
      status.textContent = 'Paste at least 500 characters to train on your own text.';
      return;
    }
    send({ type: 'init', text, settings: settings() });
  };

  const setRunning = (r: boolean): void => {
    if (r) status.textContent = `Training: ${cell.value.toUpperCase()}, H = ${hidden.value}, T = ${seqLength.value}, B = ${batchSize.value}, learning rate ${learningRate.value}.`;
    else if (running) status.textContent = `Paused after ${step.toLocaleString('en')} updates. Press Resume to go on.`;
    running = r;
    startBtn.textContent = r ? 'Pause' : step > 0 ? 'Resume' : 'Start';
    startBtn.setAttribute('aria-pressed', String(r));
  };

  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    const m = e.data;
    switch (m.type) {
      case 'ready':
        ready = true;
        step = m.step;
        status.textContent = `Ready: a vocabulary of ${m.vocabSize} symbols (the text\u2019s characters and one for any other), ${m.parameters.toLocaleString('en')} parameters, ${m.trainChars.toLocaleString('en')} characters to train on, ${m.validChars.toLocaleString('en')} held out.`;
        // a loaded model brings its own cell and sizes
        cell.value = m.settings.cell;
        hidden.value = String(m.settings.hiddenSize);
        layers.value = String(m.settings.layers);
        setStat('updates', String(m.step));
        setStat('vocabulary', String(m.vocabSize));
        setStat('parameters', m.parameters.toLocaleString('en'));
        setStat('kernels', m.kernels);
        setRunning(false);
        redraw();
        break;
      case 'progress':
        for (const p of m.points) {
          trainPts.push([p[0], p[1]]);
          const from = Math.max(0, trainPts.length - 20);
          let s = 0;
          for (let i = from; i < trainPts.length; i++) s += trainPts[i]![1];
          smooth.push([p[0], s / (trainPts.length - from)]);
        }
        if (m.valid && m.valid[0] !== validPts[validPts.length - 1]?.[0]) {
          validPts.push([m.valid[0], m.valid[1]]);
          if (!best || m.valid[1] < best[1]) best = [m.valid[0], m.valid[1]];
          judge();
        }
        if (m.points.length > 0) {
          step = m.points[m.points.length - 1]![0];
          charsPerSecond = 0.8 * charsPerSecond + 0.2 * m.charsPerSecond;
          if (charsPerSecond < m.charsPerSecond * 0.3) charsPerSecond = m.charsPerSecond;
        }
        setStat('updates', String(step));
        if (smooth.length) setStat('training loss', smooth[smooth.length - 1]![1].toFixed(3));
        if (validPts.length) setStat('validation loss', validPts[validPts.length - 1]![1].toFixed(3));
        if (m.points.length > 0) setStat('characters/s', Math.round(charsPerSecond).toLocaleString('en'));
        redraw();
        break;
      case 'sample': {
        lastSample = m.text;
        const label = m.onRequest ? `on request, after ${m.step} updates` : `after ${m.step} updates`;
        const when = `${label} (temperature ${m.temperature.toFixed(2)})`;
        const pinned = !m.onRequest && PINNED.includes(m.step);
        samples.prepend(el('li', { class: pinned ? 'sample pinned' : 'sample', 'data-step': m.step, 'data-pinned': pinned ? 'true' : undefined },
          el('span', { class: 'when', text: pinned ? `${when}, pinned` : when }),
          el('pre', { text: m.text })));
        newest.querySelector('.when')!.textContent = `Newest sample, ${when}:`;
        newest.querySelector('pre')!.textContent = m.text;
        // keep the pinned early samples and the newest others
        const others = Array.from(samples.children).filter((li) => !(li as HTMLElement).dataset.pinned);
        for (const li of others.slice(KEEP_SAMPLES)) li.remove();
        break;
      }
      case 'running':
        setRunning(m.running);
        break;
      case 'threads':
        setStat('threads', `${m.threads}${m.reason ? ` (${m.reason})` : ''}`);
        break;
      case 'saved': {
        const url = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
        const a = el('a', { href: url, download: m.fileName });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        status.textContent = `Saved ${m.fileName}.`;
        break;
      }
      case 'snapshot':
        snapshotWaiter?.(m.snapshot);
        snapshotWaiter = null;
        break;
      case 'error':
        status.textContent = `Error: ${m.message}`;
        setRunning(false);
        break;
    }
  };
  worker.onerror = (e) => {
    status.textContent = `The training worker failed: ${e.message}`;
  };

  startBtn.addEventListener('click', () => {
    if (running) send({ type: 'pause' });
    else if (ready) send({ type: 'start' });
  });
  resetBtn.addEventListener('click', () => {
    send({ type: 'pause' });
    reset();
  });
  saveBtn.addEventListener('click', () => send({ type: 'save' }));
  loadInput.addEventListener('change', async () => {
    const file = loadInput.files?.[0];
    if (!file) return;
    const bytes = await file.arrayBuffer();
    clearHistory();
    redraw();
    note.textContent = `Loaded ${file.name}: the chart starts afresh at the model\u2019s saved update (its earlier history is not in the file).`;
    send({ type: 'load', bytes, fileName: file.name, text: currentText(), settings: settings() }, [bytes]);
    status.textContent = `Loading ${file.name}…`;
    loadInput.value = '';
  });
  temp.addEventListener('input', () => {
    tempOut.textContent = Number(temp.value).toFixed(2);
    send({ type: 'temperature', value: Number(temp.value) });
  });
  sampleBtn.addEventListener('click', () => send({ type: 'sample', length: 240, prime: '\n' }));
  const onSettingChange = (): void => {
    if (step === 0 && !running) reset();
    else note.textContent = 'Settings changed: press Reset to start a new model with them.';
  };
  source.addEventListener('change', () => { pastedField.hidden = source.value !== 'paste'; });
  for (const c of [source, cell, hidden, layers, seqLength, learningRate, batchSize]) c.addEventListener('change', onSettingChange);
  pasted.addEventListener('change', () => { if (source.value === 'paste') onSettingChange(); });
  panel.querySelector('form')!.addEventListener('submit', (e) => e.preventDefault());

  reset();

  return {
    snapshot: () => new Promise((resolve) => {
      if (!ready) { resolve(null); return; }
      snapshotWaiter = resolve;
      send({ type: 'snapshot' });
    }),
    text: currentText,
    lastSample: () => lastSample,
    losses: () => trainPts.map((p) => [p[0], p[1]] as const),
    validation: () => validPts.map((p) => [p[0], p[1]] as const),
  };
}

/** The thread count asked for by `?threads=N` in the page's address (undefined: none or not a valid count). */
function threadsFromAddress(): number | undefined {
  const n = Number(new URLSearchParams(location.search).get('threads') ?? NaN);
  return Number.isInteger(n) && n >= 1 && n <= MAX_FORCED_THREADS ? n : undefined;
}

function clampInt(input: HTMLInputElement, lo: number, hi: number): number {
  const v = Math.round(Number(input.value));
  const c = Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
  input.value = String(c);
  return c;
}

function clampNum(input: HTMLInputElement, lo: number, hi: number): number {
  const v = Number(input.value);
  const c = Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : lo;
  input.value = String(c);
  return c;
}
