/**
 * The Pronounce tab: an encoder–decoder with attention says a word, and its
 * alignment shows which letters each phoneme looked at. The pronouncer is
 * trained here (pronounce-worker.ts, on the bundled slice of the CMU
 * dictionary) or loaded from a `.rnn` file that `rnnkit pronounce` wrote;
 * both arrive as model-file bytes and are read by the library's one
 * model-file reader (pronouncer.ts).
 */

import cmudict from 'virtual:cmudict-slice';
import { pronunciations } from '../../src/tasks/pronounce.js';
import { alignmentFigure } from './alignment.js';
import { el, field, fmt } from './dom.js';
import { align, decodePronouncer, HIDDEN, STEP_LIMIT, type Alignment, type Pronouncer } from './pronouncer.js';
import type { FromPronounceWorker, Score, ToPronounceWorker } from './pronounce-protocol.js';

export interface PronouncePage {
  /** Called when the tab is shown: starts the worker the first time. */
  open(): void;
  /** The alignment on show (for tests and the console). */
  alignment(): Alignment | null;
}

const EXAMPLES = ['phone', 'knight', 'thought', 'chemistry', 'xylophone', 'queue'];
/** Longest word the view draws. */
const MAX_LETTERS = 16;

export function pronouncePage(panel: HTMLElement): PronouncePage {
  const dictionary = new Map(pronunciations(cmudict).map((p) => [p.word, p.phonemes]));
  const trainBtn = el('button', { type: 'button', id: 'pron-train', class: 'primary', text: 'Train a pronouncer' });
  const loadInput = el('input', { type: 'file', id: 'pron-load', accept: '.rnn,application/octet-stream', class: 'visually-hidden' });
  const loadLabel = el('label', { for: 'pron-load', class: 'button', text: 'Load pronouncer…' });
  const status = el('p', { id: 'pron-status', class: 'status', role: 'status', 'aria-live': 'polite', text: 'Press Train to train a pronouncer here (about a minute), or load one that rnnkit pronounce wrote.' });
  const error = el('p', { id: 'pron-error', class: 'error', role: 'alert' });
  const stats = el('dl', { class: 'stats', id: 'pron-stats' });
  const stat = (name: string, value = '–'): HTMLElement => {
    const dd = el('dd', { 'data-stat': name, text: value });
    stats.append(el('div', { class: 'stat' }, el('dt', { text: name }), dd));
    return dd;
  };
  const updates = stat('updates', '0');
  const loss = stat('loss per phoneme');
  const per = stat('held-out phoneme error');
  const accuracy = stat('held-out words right');
  const baseline = stat('copy-through phoneme error');
  const speed = stat('words/s');
  const word = el('input', { type: 'text', id: 'pron-word', value: 'phone', maxlength: MAX_LETTERS, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'none' });
  const examples = el('div', { class: 'buttons examples' }, ...EXAMPLES.map((w) => el('button', { type: 'button', 'data-word': w, text: w })));
  const output = el('p', { id: 'pron-output', class: 'pron-output', 'aria-live': 'polite' });
  const view = el('div', { id: 'pron-view' });
  panel.append(
    el('h2', { text: 'Pronounce: spelling to sound, with attention' }),
    el('p', { class: 'lead', text: 'An encoder–decoder reads a word letter by letter (both ways) and writes its ARPAbet phonemes one at a time. Before each phoneme the decoder attends over the letters: the weights α say where it looked, and they sum to 1. Nobody tells it which letters make which sound: the alignment below is what it found for itself. Read a row to see which letter a phoneme came from — often just one, even for a pair such as “ph”, where it looks at the p and passes over the h — and a column to see what became of a letter: one letter can give two phonemes (x → K S), and a silent one, such as the last “e” of “phone”, is looked at by no phoneme, only by the end of the word (</s>).' }),
    el('div', { class: 'buttons' }, trainBtn, loadInput, loadLabel),
    status, error, stats,
    el('form', { class: 'row', id: 'pron-form' }, field('Word', word, `letters a–z, at most ${MAX_LETTERS}`), examples),
    output, view,
    el('p', { class: 'hint', text: `Trained here: a GRU encoder–decoder (H = ${HIDDEN}, bidirectional encoder, Luong attention) on ${(dictionary.size - 400).toLocaleString('en')} words of the CMU Pronouncing Dictionary bundled with the page (every tenth word of 2–10 letters), 400 held out to measure the phoneme error rate, in a background worker with Adam; each Train runs up to ${STEP_LIMIT.toLocaleString('en')} updates. A file from rnnkit pronounce (trained on the whole dictionary) pronounces better.` }),
  );

  let worker: Worker | null = null;
  let running = false;
  let heldOut = new Set<string>();
  let current: { p: Pronouncer; from: 'trained' | 'file'; name: string } | null = null;
  /** The newest model trained here, as model-file bytes (kept to switch back to after a file). */
  let trainedHere: { bytes: ArrayBuffer; step: number } | null = null;
  let shown: Alignment | null = null;

  const send = (msg: ToPronounceWorker): void => worker?.postMessage(msg);
  const score = (s: Score): [string, string] => [fmt(s.errorRate, 3), `${(100 * s.wordAccuracy).toFixed(1)} %`];

  function render(): void {
    error.textContent = '';
    const raw = word.value.trim().toLowerCase();
    if (!current) { output.textContent = ''; view.replaceChildren(); shown = null; return; }
    if (raw === '' || !/^[a-z]+$/.test(raw)) {
      output.textContent = raw === '' ? 'Type a word.' : `“${word.value}” has characters other than the letters a–z.`;
      view.replaceChildren();
      shown = null;
      return;
    }
    const a = align(current.p, raw);
    shown = a;
    const dict = dictionary.get(raw);
    const note = dict ? ` — dictionary: ${dict.join(' ')}${heldOut.has(raw) && current.from === 'trained' ? ' (held out: never seen in training)' : ''}` : '';
    output.replaceChildren(el('b', { text: raw }), ' \u2192 ', el('b', { class: 'phonemes', text: a.phonemes.join(' ') || '(nothing)' }), note);
    view.replaceChildren(alignmentFigure(a, Math.min(panel.clientWidth, 720)));
  }

  function use(bytes: ArrayBuffer, from: 'trained' | 'file', name: string): void {
    current = { p: decodePronouncer(bytes, name), from, name };
    render();
  }

  function start(): void {
    worker = new Worker(new URL('./pronounce-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromPronounceWorker>) => {
      const m = e.data;
      switch (m.type) {
        case 'ready':
          heldOut = new Set(m.heldOutWords);
          baseline.textContent = fmt(m.copyThrough.errorRate, 3);
          break;
        case 'running':
          running = m.running;
          trainBtn.textContent = running ? 'Pause' : 'Resume';
          trainBtn.setAttribute('aria-pressed', String(running));
          if (!running) status.textContent = `Paused after ${updates.textContent} updates. Resume trains up to ${STEP_LIMIT.toLocaleString('en')} more.`;
          break;
        case 'progress':
          updates.textContent = String(m.step);
          loss.textContent = fmt(m.loss, 3);
          if (m.wordsPerSecond !== undefined) speed.textContent = Math.round(m.wordsPerSecond).toLocaleString('en');
          if (running) status.textContent = `Training: update ${m.step.toLocaleString('en')}; the alignment follows the model every 250 updates.`;
          break;
        case 'model':
          [per.textContent, accuracy.textContent] = score(m.heldOut);
          updates.textContent = String(m.step);
          trainedHere = { bytes: m.bytes, step: m.step };
          if (!current || current.from === 'trained') use(m.bytes, 'trained', `the pronouncer trained here (update ${m.step})`);
          break;
        case 'error':
          error.textContent = m.message;
          break;
      }
    };
    worker.onerror = (e) => { error.textContent = `The training worker failed: ${e.message}`; };
    send({ type: 'init', dict: cmudict });
  }

  trainBtn.addEventListener('click', () => {
    if (!worker) start();
    if (current?.from === 'file') {
      // the model trained here takes over again
      current = null;
      if (trainedHere) use(trainedHere.bytes, 'trained', `the pronouncer trained here (update ${trainedHere.step})`);
      else render();
    }
    send({ type: running ? 'pause' : 'start' });
  });
  loadInput.addEventListener('change', async () => {
    const file = loadInput.files?.[0];
    loadInput.value = '';
    if (!file) return;
    try {
      use(await file.arrayBuffer(), 'file', file.name);
      if (running) send({ type: 'pause' });
      status.textContent = `Loaded ${file.name}: ${current!.p.target.size} phonemes, ${current!.p.model.paramSets.reduce((n, s) => n + s.size, 0).toLocaleString('en')} parameters. Train switches back to the pronouncer trained here.`;
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    }
  });
  word.addEventListener('input', render);
  examples.addEventListener('click', (e) => {
    const w = (e.target as HTMLElement).closest('button')?.dataset.word;
    if (w) { word.value = w; render(); }
  });
  panel.querySelector('form')!.addEventListener('submit', (e) => e.preventDefault());
  let width = 0;
  addEventListener('resize', () => { if (panel.clientWidth !== width && !panel.hidden) { width = panel.clientWidth; render(); } });

  return {
    open() { if (shown === null && current) render(); },
    alignment: () => shown,
  };
}
