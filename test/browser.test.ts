/**
 * End-to-end test of the browser playground (web/) in headless Chromium.
 *
 * Builds the page with Vite's programmatic API into a temporary folder,
 * serves it from a tiny node:http static server on 127.0.0.1, and drives
 * Debian's Chromium (/usr/bin/chromium) with playwright-core: trains a
 * character model and checks that the loss chart fills and falls and that
 * samples appear; steps through the worked example and checks its numbers
 * (source: docs/maths.md §5, 4 decimals); saves the model and reads the
 * file back with the library's checkpoint decoder; loads it into the page;
 * computes the gradient-flow chart. The page is served cross-origin isolated
 * (COOP/COEP headers), so training runs data-parallel on nested Web Workers:
 * the thread count shown is checked, and a few updates on 2 threads give the
 * losses of 1 thread (forced with `?threads=N`); served without the headers,
 * the page trains on one thread. At 1400×900 and at phone size (390×844,
 * 2 device pixels per CSS pixel) it checks the layout: Start, the loss chart
 * and the newest sample inside the first screen while training, no
 * horizontal scrolling, every chart's text at least 11 CSS px as drawn.
 * The Pronounce tab: a pronouncer file written here with the library gives
 * the library's alignment weight for weight, a text model is refused in one
 * line, and a pronouncer trained in the page beats the copy-through
 * baseline and aligns its first phoneme with the first letter.
 * Screenshots of each tab at both sizes go to test-output/.
 * Fails on any console error. Skips (does not fail) when Chromium is absent.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { decodeCheckpoint } from '../src/io/checkpoint.js';
import { encodeModel } from '../src/io/model-file.js';
import { decode } from '../src/seq2seq/decode.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import { SymbolTable } from '../src/tasks/symbols.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The repository root: the nearest folder above this file with a package.json and web/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web', 'index.html')))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (package.json next to web/)');
    dir = up;
  }
  return dir;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain; charset=utf-8',
};

/** The headers that make a page cross-origin isolated (as web/vite.config.ts sends them). */
const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** Serves `root` on 127.0.0.1 at a free port, with the cross-origin-isolation headers unless `isolate` is false. */
async function serve(root: string, isolate = true): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...(isolate ? ISOLATION_HEADERS : {}) });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** Smallest chart text allowed, in CSS pixels as drawn on the screen. */
const MIN_TEXT_PX = 11;

/**
 * Every problem with the visible tab's layout at the current viewport: wider
 * than the screen; chart text (SVG, scaled by its viewBox) drawn smaller than
 * MIN_TEXT_PX; a heatmap canvas not drawn one device pixel per pixel (its
 * labels are drawn at 11 CSS px, so a scaled canvas shrinks or blurs them).
 */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate((min) => {
    const problems: string[] = [];
    const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    if (overflow > 1) problems.push(`${overflow}px wider than the screen`);
    const visible = (e: Element): boolean => (e as HTMLElement).getClientRects().length > 0;
    for (const svg of Array.from(document.querySelectorAll('figure svg')).filter(visible) as SVGSVGElement[]) {
      const vb = svg.viewBox.baseVal;
      const scale = vb && vb.width > 0 ? svg.getBoundingClientRect().width / vb.width : 1;
      for (const t of Array.from(svg.querySelectorAll('text'))) {
        const px = parseFloat(getComputedStyle(t).fontSize) * scale;
        if (px < min - 0.01) { problems.push(`chart text "${t.textContent}" drawn at ${px.toFixed(1)}px`); break; }
      }
    }
    for (const e of Array.from(document.querySelectorAll('figure .legend li, figure .readout, .colorbar span')).filter(visible)) {
      const px = parseFloat(getComputedStyle(e).fontSize);
      if (px < min) problems.push(`chart text "${e.textContent}" at ${px}px`);
    }
    for (const c of Array.from(document.querySelectorAll('canvas.heatmap')).filter(visible) as HTMLCanvasElement[]) {
      const drawn = c.getBoundingClientRect().width * devicePixelRatio;
      if (Math.abs(drawn - c.width) > 1) problems.push(`heatmap canvas of ${c.width} pixels shown ${drawn.toFixed(0)} device pixels wide`);
    }
    return problems;
  }, MIN_TEXT_PX);
}

/** Whether each selector's element lies wholly inside the first screen (the page not scrolled). */
async function inFirstScreen(page: Page, selectors: readonly string[]): Promise<Record<string, boolean>> {
  return page.evaluate((sels) => {
    const out: Record<string, boolean> = {};
    for (const sel of sels) {
      const e = document.querySelector(sel);
      const r = e?.getBoundingClientRect();
      out[sel] = !!r && r.height > 0 && scrollY === 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
    }
    return out;
  }, selectors);
}

/** The x-axis tick labels of a chart. */
const xTicks = (page: Page, chart: string): Promise<string[]> => page.$$eval(`${chart} text.xtick`, (ts) => ts.map((t) => t.textContent ?? ''));

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install -y chromium); skipping the browser test`;

test('playground in headless Chromium: train, worked example, inside, save and load', { skip, timeout: 150_000 }, async () => {
  const t0 = Date.now();
  const mark = (what: string): void => console.log(`# ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const repo = repoRoot();
  const artifacts = join(repo, 'test-output');
  mkdirSync(artifacts, { recursive: true });
  const out = mkdtempSync(join(tmpdir(), 'rnnkit-web-'));
  const { build } = await import('vite');
  const { chromium } = await import('playwright-core');
  await build({ configFile: join(repo, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
  assert.ok(existsSync(join(out, 'index.html')), 'vite wrote index.html');
  mark('built');
  const { server, url } = await serve(resolve(out));
  const plain = await serve(resolve(out), false);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const errors: string[] = [];
  let shown: Page | undefined; // for the failure screenshot
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    shown = page;
    const watch = (p: Page): void => {
      p.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      p.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      p.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker console: ${m.text()}`); }));
    };
    watch(page);
    await page.goto(url);

    // ---- Train text ----
    await page.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready'), null, { timeout: 20_000 });
    mark('page ready');
    // Empty chart: whole updates on its axis.
    const emptyTicks = await xTicks(page, '#train-chart');
    assert.ok(emptyTicks.length >= 2 && emptyTicks.every((t) => /^\d+$/.test(t)), `an empty chart shows whole updates: ${emptyTicks}`);
    await page.click('#train-start');
    // While training, the dashboard is in the first screen: Start (now Pause), the chart, the newest sample.
    await page.waitForFunction(() => (document.querySelector('#train-newest pre')?.textContent ?? '').length > 0, null, { timeout: 30_000 });
    assert.match(await page.$eval('#train-status', (e) => e.textContent ?? ''), /^Training/);
    const above = await inFirstScreen(page, ['#train-start', '#train-chart', '#train-newest']);
    assert.deepEqual(above, { '#train-start': true, '#train-chart': true, '#train-newest': true }, 'the dashboard is above the fold at 1400×900');
    const count = (key: string): Promise<number> => page.$eval(`#train-chart polyline[data-series="${key}"]`, (e) => Number(e.getAttribute('data-count')));
    // Wait for enough of each: how many validation points come per update depends on the machine's speed.
    await page.waitForFunction(() => Number(document.querySelector('#train-chart polyline[data-series="train"]')?.getAttribute('data-count')) >= 300
      && Number(document.querySelector('#train-chart polyline[data-series="valid"]')?.getAttribute('data-count')) >= 10
      && document.querySelectorAll('#train-samples li').length >= 5, null, { timeout: 90_000 });
    mark('trained');
    await page.click('#train-start'); // pause
    await page.waitForFunction(() => document.querySelector('#train-start')?.getAttribute('aria-pressed') === 'false');
    // the chart redraws on the next animation frame: wait until it shows every update the stats count
    await page.waitForFunction(() => Number(document.querySelector('#train-chart polyline[data-series="train"]')?.getAttribute('data-count'))
      === Number(document.querySelector('dd[data-stat="updates"]')?.textContent));
    const trainCount = await count('train');
    const first = Number(await page.$eval('#train-chart polyline[data-series="train"]', (e) => e.getAttribute('data-first')));
    const smoothLast = Number(await page.$eval('#train-chart polyline[data-series="smooth"]', (e) => e.getAttribute('data-last')));
    const validCount = await count('valid');
    const validFirst = Number(await page.$eval('#train-chart polyline[data-series="valid"]', (e) => e.getAttribute('data-first')));
    const validLast = Number(await page.$eval('#train-chart polyline[data-series="valid"]', (e) => e.getAttribute('data-last')));
    console.log(`# trained ${trainCount} updates: training loss ${first.toFixed(3)} → ${smoothLast.toFixed(3)} (mean of last 20), validation ${validFirst.toFixed(3)} → ${validLast.toFixed(3)} (${validCount} points)`);
    assert.ok(trainCount >= 300, `the chart has ${trainCount} training points`);
    assert.ok(first > 3.5, `the first loss ${first} is near ln(vocabSize)`);
    assert.ok(smoothLast < first - 1.5, `the training loss falls: ${first} → ${smoothLast}`);
    assert.ok(validCount >= 10 && validLast < validFirst - 1.2, `the validation loss falls: ${validFirst} → ${validLast} (${validCount} points)`);
    const sampleText = await page.$eval('#train-samples li pre', (e) => e.textContent ?? '');
    assert.ok(sampleText.length >= 100, `a sample appeared: ${JSON.stringify(sampleText.slice(0, 60))}`);
    const cps = await page.$eval('dd[data-stat="characters/s"]', (e) => Number((e.textContent ?? '').replace(/,/g, '')));
    assert.ok(cps > 0, `characters/s shown: ${cps}`);
    // Cross-origin isolated: the default batch of 16 trains on min(cores, 4, 16/8) threads.
    const [isolated, cores] = await page.evaluate(() => [crossOriginIsolated, navigator.hardwareConcurrency] as const);
    assert.equal(isolated, true, 'the page is cross-origin isolated');
    const threadsShown = await page.$eval('dd[data-stat="threads"]', (e) => e.textContent ?? '');
    console.log(`# ${cores} cores; threads: ${threadsShown}`);
    assert.equal(parseInt(threadsShown, 10), Math.min(cores, 4, 2), `threads shown: ${threadsShown}`);
    // The best validation point is marked where the validation loss is lowest.
    const valid = await page.evaluate(() => (window as unknown as { playground: { validation(): [number, number][] } }).playground.validation());
    const lowest = valid.reduce((a, b) => (b[1] < a[1] ? b : a));
    const bestMark = await page.$eval('#train-chart circle[data-mark="best"]', (e) => [Number(e.getAttribute('data-x')), Number(e.getAttribute('data-y'))]);
    assert.deepEqual(bestMark, lowest, 'the best validation point is marked');
    // The early samples stay pinned.
    const pinned = await page.$$eval('#train-samples li[data-pinned="true"]', (lis) => lis.map((li) => Number((li as HTMLElement).dataset.step)));
    assert.deepEqual(pinned.sort((a, b) => a - b), [10, 25, 50, 100], 'the samples after 10, 25, 50 and 100 updates are pinned');
    const ticksTrained = await xTicks(page, '#train-chart');
    assert.equal(new Set(ticksTrained).size, ticksTrained.length, `no repeated ticks: ${ticksTrained}`);
    assert.deepEqual(await layoutProblems(page), [], 'train tab at 1400×900');
    await page.screenshot({ path: join(artifacts, 'desktop-train.png') });

    // Save the model: the file is the library's checkpoint format.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-save')]);
    const saved = join(artifacts, 'playground-model.rnn');
    await download.saveAs(saved);
    const checkpoint = decodeCheckpoint(readFileSync(saved));
    const net = checkpoint.networks.model;
    assert.ok(net, 'the file holds the network "model"');
    assert.equal(checkpoint.step, trainCount);
    assert.equal((checkpoint.meta as { tokenizer: { kind: string } }).tokenizer.kind, 'char');
    // Load it back into the page: same step, training can resume.
    await page.setInputFiles('#train-load', saved);
    await page.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready'), null, { timeout: 20_000 });
    assert.equal(await page.$eval('dd[data-stat="updates"]', (e) => Number(e.textContent)), trainCount, 'the loaded model resumes at the saved step');
    assert.equal(await page.$eval('#train-start', (e) => e.textContent), 'Resume');
    // After loading: characters/s starts afresh, the chart says its history restarted, ticks are whole and distinct.
    assert.equal(await page.$('dd[data-stat="characters/s"]'), null, 'characters/s is reset by a load');
    assert.match(await page.$eval('#train-note', (e) => e.textContent ?? ''), /starts afresh/);
    await page.waitForFunction(() => document.querySelectorAll('#train-chart text.xtick').length >= 2);
    const loadedTicks = await xTicks(page, '#train-chart');
    assert.ok(loadedTicks.every((t) => /^\d+$/.test(t)) && new Set(loadedTicks).size === loadedTicks.length, `a loaded model's empty chart: ${loadedTicks}`);
    // Resume: the step count goes on from the saved one.
    await page.click('#train-start');
    await page.waitForFunction((n) => Number(document.querySelector('dd[data-stat="updates"]')?.textContent) > n, trainCount, { timeout: 30_000 });
    await page.click('#train-start');
    await page.waitForFunction(() => document.querySelector('#train-start')?.getAttribute('aria-pressed') === 'false');
    const resumedFrom = Number(await page.$eval('#train-chart polyline[data-series="train"]', (e) => e.getAttribute('data-first')));
    assert.ok(Number.isFinite(resumedFrom) && resumedFrom < first - 0.6, `the resumed model starts from its trained loss (${resumedFrom}), not from scratch`);
    // A model file written by the CLI (`rnnkit train`) loads too, with its own cell and sizes.
    const cliModel = join(out, 'cli-gru.rnn');
    const cli = spawnSync(process.execPath, [join(repo, 'dist', 'src', 'cli', 'bin.js'), 'train', '--dataset', 'moby-dick', '--cell', 'gru',
      '--hidden', '16', '--seq-len', '16', '--batch', '4', '--steps', '3', '--sample-every', '0', '--checkpoint-every', '0', '-o', cliModel], { encoding: 'utf8' });
    assert.equal(cli.status, 0, `rnnkit train failed: ${cli.stderr}`);
    await page.setInputFiles('#train-load', cliModel);
    await page.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready') && (document.querySelector('#train-cell') as HTMLSelectElement).value === 'gru', null, { timeout: 20_000 });
    assert.equal(await page.$eval('#train-hidden', (e) => (e as HTMLInputElement).value), '16');
    assert.equal(await page.$eval('dd[data-stat="updates"]', (e) => e.textContent), '3');
    await page.click('#train-sample');
    await page.waitForFunction(() => document.querySelector('#train-samples li .when')?.textContent?.startsWith('on request, after 3 updates'), null, { timeout: 20_000 });

    mark('saved and loaded');
    // ---- The worked example (reached with the keyboard: arrow keys move between tabs) ----
    await page.focus('#tab-train');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.$eval('#tab-walk', (e) => e.getAttribute('aria-selected')), 'true');
    assert.equal(await page.$eval('#panel-walk', (e) => (e as HTMLElement).hidden), false);
    const cells = (name: string): Promise<string[]> => page.$$eval(`[data-name="${name}"] td`, (tds) => tds.map((td) => td.textContent ?? ''));
    const text = (name: string): Promise<string> => page.$eval(`[data-name="${name}"]`, (e) => e.textContent ?? '');
    assert.deepEqual(await cells('h1'), ['-0.1565', '0.9190']);
    for (let i = 0; i < 7; i++) await page.click('#walk-next');
    assert.match(await page.$eval('#walk-where', (e) => e.textContent ?? ''), /Step 8 of 8/);
    assert.deepEqual(await cells('h2'), ['-0.6530', '-0.9250']);
    assert.equal(await text('J'), '4.2276');
    assert.equal(await text('sequence'), '(1, 3)');
    assert.deepEqual(await cells('deltaO1'), ['1.3768', '-1.1644', '-0.5483']);
    assert.deepEqual(await cells('dW-exact'), ['0.5248', '0.3812', '-3.0819', '-2.2384']);
    assert.deepEqual(await cells('dW-lecture'), ['0.3203', '-0.7020', '-1.8809', '4.1225']);
    assert.deepEqual((await cells('dU-exact')).slice(0, 2), ['-1.7682', '5.1988']);
    assert.deepEqual((await cells('dU-lecture')).slice(0, 2), ['0.2785', '0.7130']);
    await page.click('#walk-train');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.mode')).every((m) => (m as HTMLElement).dataset.done === 'true'), null, { timeout: 20_000 });
    assert.equal(await text('train-exact-seq'), '(2, 3)');
    assert.equal(await text('train-lecture-seq'), '(2, 3)');
    assert.match(await text('train-lecture-k'), /^5[56] of 5[56]$/);
    assert.deepEqual(await cells('train-lecture-y1'), ['-0.0006', '1.0000', '-0.0001']);
    assert.match(await page.$eval('#walk-outcome', (e) => e.textContent ?? ''), /^At η = 0\.1: with the exact BPTT gradient it stops after \d+ updates at RMSE [\d.]+, giving \(2, 3\); with the lecture slides gradient it stops/);
    assert.deepEqual(await layoutProblems(page), [], 'worked example at 1400×900');
    await page.screenshot({ path: join(artifacts, 'desktop-walk.png') });
    await page.screenshot({ path: join(artifacts, 'desktop-walk-full.png'), fullPage: true });
    // A step size that diverges: both curves drawn rising, and the text says so.
    await page.fill('#walk-eta', '0.5');
    await page.dispatchEvent('#walk-eta', 'change');
    // leave the field first, as a person tabbing away would: its own change event (a second recompute,
    // which redraws the chart from its first point) then comes now, not between the press and the
    // release of the click below, where it could swallow that click
    await page.$eval('#walk-eta', (e) => (e as HTMLInputElement).blur());
    await page.click('#walk-skip');
    await page.waitForFunction(() => /diverges/.test(document.querySelector('#walk-outcome')?.textContent ?? '')
      && Array.from(document.querySelectorAll('#walk-chart polyline')).every((e) => Number(e.getAttribute('data-count')) > 1), null, { timeout: 10_000 }).catch(() => undefined);
    for (const mode of ['exact', 'lecture']) {
      const [n, firstRmse, lastRmse] = await page.$eval(`#walk-chart polyline[data-series="${mode}"]`, (e) => [Number(e.getAttribute('data-count')), Number(e.getAttribute('data-first')), Number(e.getAttribute('data-last'))]);
      assert.ok(n >= 4 && lastRmse > 1e3 * firstRmse, `η = 0.5, ${mode}: the RMSE rises from ${firstRmse} to ${lastRmse} over ${n} points`);
    }
    assert.doesNotMatch(await page.$eval('#walk-outcome', (e) => e.textContent ?? ''), /reach \(2, 3\)/);
    await page.fill('#walk-eta', '0.1');
    await page.dispatchEvent('#walk-eta', 'change');
    // Edit a weight: every number follows. U[1][1] = 0 makes h(1) = [0, 0.9190].
    await page.fill('[data-weight="U-0-0"]', '0');
    await page.waitForFunction(() => document.querySelector('[data-name="h1"] td')?.textContent === '0.0000');
    assert.deepEqual(await cells('h1'), ['0.0000', '0.9190']);
    assert.notEqual(await text('J'), '4.2276');
    // The numbers that changed are highlighted, the others not; the figure's edge x(1)·U follows.
    assert.deepEqual(await page.$$eval('[data-name="h1"] td', (tds) => tds.map((td) => td.classList.contains('changed'))), [true, false]);
    assert.equal(await page.$eval('#walk-figure [data-slot="x1U"]', (e) => e.textContent), '·U = [0.000, 0.919]');
    assert.equal(await page.$eval('#walk-figure [data-slot="x1U"]', (e) => e.classList.contains('changed')), true);
    await page.click('#walk-reset-weights');
    assert.equal(await text('J'), '4.2276');

    assert.equal(await page.$eval('#walk-figure svg', (e) => (e as SVGElement).dataset.layout), 'wide', 'the unrolled figure runs left to right at 1400×900');
    mark('worked example');
    // ---- Inside the network ----
    await page.click('#tab-inside');
    await page.waitForSelector('#inside-maps canvas', { timeout: 20_000 });
    await page.waitForSelector('#flow-chart polyline[data-series="dh-rnn"]', { timeout: 20_000 });
    const ends = (key: string): Promise<[number, number, number]> => page.$eval(`#flow-chart polyline[data-series="${key}"]`,
      (e) => [Number(e.getAttribute('data-first')), Number(e.getAttribute('data-last')), Number(e.getAttribute('data-count'))] as [number, number, number]);
    // Library defaults (orthogonal W, tanh): ‖∂J/∂h(T−k)‖ shrinks over the 60 steps.
    const [rnnFirst, rnnLast, rnnCount] = await ends('dh-rnn');
    console.log(`# RNN, gain 1, tanh: ‖∂J/∂h(T−1)‖ = ${rnnFirst.toExponential(2)}, ‖∂J/∂h(T−60)‖ = ${rnnLast.toExponential(2)}`);
    assert.equal(rnnCount, 60);
    assert.ok(rnnLast < rnnFirst / 10, `an RNN's gradient vanishes over 60 steps: ${rnnFirst} → ${rnnLast}`);
    const lstmAvailable = await page.$eval('#train-cell option[value="lstm"]', (o) => !(o as HTMLOptionElement).disabled);
    if (lstmAvailable) {
      const [cFirst, cLast] = await ends('dc-lstm');
      console.log(`# LSTM, b_f = 1: ‖∂J/∂C(T−1)‖ = ${cFirst.toExponential(2)}, ‖∂J/∂C(T−60)‖ = ${cLast.toExponential(2)}`);
    }
    // W × 1.5 with a linear g_h: it explodes.
    const setControl = (sel: string, value: string): Promise<void> => page.$eval(sel, (e, v) => {
      const input = e as HTMLInputElement;
      input.value = v;
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
    await setControl('#flow-gain', '1.5');
    await page.selectOption('#flow-act', 'linear');
    await page.waitForFunction(() => Number(document.querySelector('#flow-chart polyline[data-series="dh-rnn"]')?.getAttribute('data-last')) > 1e6);
    const [exFirst, exLast] = await ends('dh-rnn');
    console.log(`# RNN, gain 1.5, linear: ${exFirst.toExponential(2)} → ${exLast.toExponential(2)}`);
    // Truncation at τ = 20: nothing reaches further back than 20 steps.
    await page.check('#flow-trunc-on');
    await setControl('#flow-trunc', '20');
    await page.waitForFunction(() => document.querySelector('#flow-chart polyline[data-series="dh-rnn"]')?.getAttribute('points')?.trim().split(' ').length === 20);
    // τ is marked, and the axis still runs to T = 60 so the cut-off shows.
    assert.equal(await page.$eval('#flow-chart [data-mark="tau"]', (e) => e.getAttribute('data-x')), '20');
    assert.equal((await xTicks(page, '#flow-chart')).at(-1), '60');
    await setControl('#flow-gain', '1');
    await page.selectOption('#flow-act', 'tanh');
    await page.uncheck('#flow-trunc-on');
    await page.waitForFunction(() => document.querySelector('#flow-status')?.textContent === ''
      && document.querySelector('#flow-chart polyline[data-series="dh-rnn"]')?.getAttribute('points')?.trim().split(' ').length === 60);
    assert.deepEqual(await ends('dh-rnn'), [rnnFirst, rnnLast, 60], 'back to the defaults');
    // Live while dragging: an 'input' event alone (no 'change') recomputes.
    const drag = (value: string): Promise<void> => page.$eval('#flow-gain', (e, v) => {
      (e as HTMLInputElement).value = v;
      e.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);
    await drag('0.8');
    await page.waitForFunction((last) => Number(document.querySelector('#flow-chart polyline[data-series="dh-rnn"]')?.getAttribute('data-last')) < last / 10, rnnLast);
    await drag('1');
    await page.waitForFunction((last) => Number(document.querySelector('#flow-chart polyline[data-series="dh-rnn"]')?.getAttribute('data-last')) === last, rnnLast);
    // Heatmaps: every unit of the model (the GRU loaded last, H = 16).
    assert.match(await page.$eval('#inside-maps canvas', (e) => e.getAttribute('aria-label') ?? ''), / 16 units over /);
    // Clicking a unit colours the text, one span per character.
    const chars = await page.$eval('#inside-text', (e) => Array.from((e as HTMLInputElement).value).length);
    const box = (await page.$('#inside-maps canvas'))!;
    await box.scrollIntoViewIfNeeded();
    const b = (await box.boundingBox())!;
    await page.mouse.click(b.x + 40, b.y + 18 + 9 * 2 + 4);
    await page.waitForFunction((n) => document.querySelectorAll('#inside-unit-text span').length === n, chars);
    assert.match(await page.$eval('#inside-unit-about', (e) => e.textContent ?? ''), /^Unit 3 of the /);
    // and with the keyboard: ↓ moves to the next unit
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => /^Unit 4 of the /.test(document.querySelector('#inside-unit-about')?.textContent ?? ''));
    assert.deepEqual(await layoutProblems(page), [], 'inside tab at 1400×900');
    await page.evaluate(() => scrollTo(0, 0));
    await page.screenshot({ path: join(artifacts, 'desktop-inside.png') });
    await page.screenshot({ path: join(artifacts, 'desktop-inside-full.png'), fullPage: true });

    mark('inside');
    // ---- Pronounce: a word's phonemes and its alignment ----
    await page.click('#tab-pronounce');
    type Shown = { letters: string[]; phonemes: string[]; rows: string[]; weights: number[][] } | null;
    const alignmentShown = (p: Page): Promise<Shown> => p.evaluate(() => (window as unknown as { playground: { alignment(): unknown } }).playground.alignment() as Shown);
    // A pronouncer file as `rnnkit pronounce` writes it (kind seq2seq, bidirectional encoder, attention):
    // the page says the word as the library does, weight for weight.
    const letters = new SymbolTable('abcdefghijklmnopqrstuvwxyz'.split(''));
    const phones = new SymbolTable(['AA', 'AH', 'B', 'EH', 'F', 'K', 'N', 'OW', 'P', 'S', 'T']);
    const pronouncer = new Seq2Seq({ cell: 'gru', sourceVocabSize: 26, targetVocabSize: phones.size, hiddenSize: 12, bidirectional: true, attention: 'luong', seed: 5 });
    const pronFile = join(artifacts, 'pronouncer.rnn');
    writeFileSync(pronFile, encodeModel({ kind: 'seq2seq', model: pronouncer, source: letters, target: phones, maxSourceLength: 10, maxTargetLength: 10 }));
    await page.setInputFiles('#pron-load', pronFile);
    await page.fill('#pron-word', 'phone');
    await page.waitForFunction(() => document.querySelector('#pron-alignment canvas') !== null);
    const fromFile = (await alignmentShown(page))!;
    const [expected] = decode(pronouncer, [letters.encode('phone')], { attention: true, maxLength: 20 });
    assert.deepEqual(fromFile.phonemes, phones.decode(expected!.symbols), 'the page says the word as the library does');
    assert.equal(fromFile.weights.length, expected!.attention!.length);
    let worstWeight = 0;
    expected!.attention!.forEach((row, i) => row.forEach((w, j) => { worstWeight = Math.max(worstWeight, Math.abs(w - fromFile.weights[i]![j]!)); }));
    assert.ok(worstWeight < 1e-6, `the page's attention weights are the library's: largest difference ${worstWeight}`);
    // Any other kind of model is refused in one line naming the file and what to load.
    await page.setInputFiles('#pron-load', saved);
    assert.match(await page.$eval('#pron-error', (e) => e.textContent ?? ''), /^playground-model\.rnn: a text model, not a pronouncer; load a file written by rnnkit pronounce/);
    // Trained in the page (a worker): after 250 updates it beats the copy-through baseline on the held-out words.
    await page.click('#pron-train');
    await page.waitForFunction(() => Number(document.querySelector('#pron-stats dd[data-stat="updates"]')?.textContent) >= 250
      && document.querySelector('#pron-stats dd[data-stat="held-out phoneme error"]')?.textContent !== '–', null, { timeout: 60_000 });
    await page.click('#pron-train'); // pause
    await page.waitForFunction(() => document.querySelector('#pron-train')?.textContent === 'Resume');
    const pronStat = (name: string): Promise<number> => page.$eval(`#pron-stats dd[data-stat="${name}"]`, (e) => Number(e.textContent));
    const [per, copyPer, pronSteps] = [await pronStat('held-out phoneme error'), await pronStat('copy-through phoneme error'), await pronStat('updates')];
    console.log(`# pronouncer trained in the page: ${pronSteps} updates, held-out phoneme error ${per} (copy-through ${copyPer})`);
    assert.ok(per < copyPer - 0.1, `the pronouncer trained in the page beats copy-through: ${per} vs ${copyPer}`);
    await page.fill('#pron-word', 'phone');
    await page.waitForFunction(() => /looked at/.test(document.querySelector('#pron-alignment figcaption')?.textContent ?? ''));
    const trained = (await alignmentShown(page))!;
    assert.deepEqual(trained.letters, ['p', 'h', 'o', 'n', 'e']);
    assert.equal(trained.rows.length, trained.weights.length);
    for (const row of trained.weights) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, `each step's weights sum to 1: ${row}`);
    const firstRow = trained.weights[0]!;
    assert.equal(firstRow.indexOf(Math.max(...firstRow)), 0, `the first phoneme (${trained.phonemes[0]}) looks at "p": ${firstRow}`);
    assert.equal(await page.$eval('#pron-alignment canvas', (e) => `${(e as HTMLElement).dataset.rows}×${(e as HTMLElement).dataset.columns}`), `${trained.rows.length}×5`);
    assert.deepEqual(await layoutProblems(page), [], 'pronounce tab at 1400×900');
    await page.screenshot({ path: join(artifacts, 'desktop-pronounce.png') });
    mark('pronounce');
    // ---- A phone (390×844, 2 device pixels per CSS pixel): the dashboard in the first screen, every tab readable ----
    {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      watch(p);
      await p.goto(url);
      await p.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready'), null, { timeout: 20_000 });
      await p.tap('#train-start');
      await p.waitForFunction(() => (document.querySelector('#train-newest pre')?.textContent ?? '').length > 0, null, { timeout: 30_000 });
      assert.equal(await p.$eval('#train-cell', (e) => (e as HTMLSelectElement).value), lstmAvailable ? 'lstm' : 'rnn');
      assert.match(await p.$eval('#train-status', (e) => e.textContent ?? ''), /^Training/);
      assert.deepEqual(await inFirstScreen(p, ['#train-start', '#train-chart', '#train-newest']),
        { '#train-start': true, '#train-chart': true, '#train-newest': true }, 'the dashboard is above the fold at 390×844');
      assert.deepEqual(await layoutProblems(p), [], 'train tab at 390×844');
      await p.screenshot({ path: join(artifacts, 'phone-train.png') });
      await p.waitForSelector('#train-samples li[data-step="100"]', { timeout: 60_000 }); // a trained LSTM's cell state exceeds 1
      await p.tap('#train-start'); // pause
      for (const tab of ['walk', 'inside', 'pronounce']) {
        await p.tap(`#tab-${tab}`);
        if (tab === 'walk') {
          // the unrolled network runs down the screen, whole: its box does not scroll sideways (the figure
          // is laid out by a ResizeObserver, which reports after the tab is shown: wait for it, then check)
          await p.waitForFunction(() => (document.querySelector('#walk-figure svg') as SVGElement | null)?.dataset.layout === 'tall', null, { timeout: 10_000 }).catch(() => undefined);
          assert.equal(await p.$eval('#walk-figure svg', (e) => (e as SVGElement).dataset.layout), 'tall');
          const [scrollW, clientW] = await p.$eval('#walk-figure .scroll-x', (e) => [e.scrollWidth, e.clientWidth]);
          assert.ok(scrollW <= clientW + 1, `the unrolled figure fits the phone: ${scrollW} px in ${clientW}`);
        }
        if (tab === 'pronounce') {
          // trained on the phone too (250 updates); the longest word the view takes still fits the screen
          await p.tap('#pron-train');
          await p.waitForFunction(() => document.querySelector('#pron-stats dd[data-stat="held-out phoneme error"]')?.textContent !== '–', null, { timeout: 60_000 });
          await p.tap('#pron-train'); // pause
          await p.waitForFunction(() => document.querySelector('#pron-train')?.textContent === 'Resume');
          await p.fill('#pron-word', 'abcdefghijklmnop');
          await p.waitForFunction(() => document.querySelector('#pron-alignment canvas')?.getAttribute('data-columns') === '16');
          const [alignRight, screenW] = await p.$eval('#pron-alignment canvas', (e) => [e.getBoundingClientRect().right, innerWidth]);
          assert.ok(alignRight <= screenW, `a 16-letter alignment fits the phone: right edge at ${alignRight} of ${screenW}`);
          await p.fill('#pron-word', 'phone');
          await p.$eval('#pron-alignment', (e) => e.scrollIntoView());
        }
        if (tab === 'inside') {
          await p.waitForSelector('#flow-chart polyline[data-series="dh-rnn"]');
          await p.waitForSelector('#inside-maps canvas');
          // every unit (H = 64); an LSTM's cell state coloured over its real range, which training takes past 1
          assert.match(await p.$eval('#inside-maps canvas', (e) => e.getAttribute('aria-label') ?? ''), / 64 units over /);
          if (lstmAvailable) {
            const cRange = await p.$$eval('#inside-maps figure', (fs) => fs.filter((f) => f.querySelector('figcaption')?.textContent?.startsWith('cell state')).map((f) => Number((f as HTMLElement).dataset.range)));
            assert.ok(cRange.length === 1 && cRange[0]! > 1, `the cell state's colour bar spans ±${cRange[0]}`);
          }
        }
        assert.deepEqual(await layoutProblems(p), [], `${tab} tab at 390×844`);
        await p.screenshot({ path: join(artifacts, `phone-${tab}.png`) });
      }
      await phone.close();
    }
    mark('phone');

    // Pasted text: a new vocabulary and model.
    await page.click('#tab-train');
    await page.selectOption('#train-source', 'paste');
    await page.fill('#train-text', 'abcabcabd '.repeat(100));
    await page.dispatchEvent('#train-text', 'change');
    await page.click('#train-reset');
    await page.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready: a vocabulary of 6 symbols'), null, { timeout: 20_000 });
    assert.equal(await page.$eval('dd[data-stat="updates"]', (e) => e.textContent), '0');
    // Random letters (seeded) learnt by a large model: it memorises the 900 training characters, the
    // held-out 100 cannot be predicted, so the validation loss turns up and the page says so in words.
    let seed = 12345;
    const letter = (): string => { seed = (seed * 1103515245 + 12345) % 2147483648; return 'abcdefghij'[Math.floor((seed / 2147483648) * 10)]!; };
    await page.fill('#train-text', Array.from({ length: 1000 }, letter).join(''));
    await page.dispatchEvent('#train-text', 'change');
    await page.fill('#train-hidden', '128');
    await page.fill('#train-lr', '0.02');
    await page.click('#train-reset');
    await page.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready: a vocabulary of 11 symbols'), null, { timeout: 20_000 });
    await page.click('#train-start');
    await page.waitForSelector('#train-verdict.warn', { timeout: 60_000 });
    await page.click('#train-start');
    await page.waitForFunction(() => document.querySelector('#train-start')?.getAttribute('aria-pressed') === 'false');
    const verdict = await page.$eval('#train-verdict', (e) => e.textContent ?? '');
    const overfit = await page.evaluate(() => (window as unknown as { playground: { validation(): [number, number][] } }).playground.validation());
    const bestOverfit = overfit.reduce((a, b) => (b[1] < a[1] ? b : a));
    console.log(`# random letters: validation ${overfit.map(([k, l]) => `${k}:${l.toFixed(2)}`).join(' ')}`);
    assert.match(verdict, new RegExp(`^Validation loss has not improved since update ${bestOverfit[0]} \\(best ${bestOverfit[1].toFixed(3)}, .*overfitting`));
    assert.ok(overfit.at(-1)![0] - bestOverfit[0] >= 75 && overfit.at(-1)![1] > bestOverfit[1], 'the warning comes after 3 measurements without improvement');
    mark('phone and pasted text');

    // ---- Threads: 2 threads give 1 thread's losses, up to float32 summation order ----
    const lossesOn = async (address: string, updates: number): Promise<{ threads: string; losses: [number, number][] }> => {
      const p = await context.newPage();
      watch(p);
      await p.goto(address);
      await p.waitForFunction(() => document.querySelector('#train-status')?.textContent?.startsWith('Ready'), null, { timeout: 20_000 });
      await p.click('#train-start');
      await p.waitForFunction((n) => Number(document.querySelector('dd[data-stat="updates"]')?.textContent) >= n, updates, { timeout: 30_000 });
      await p.click('#train-start');
      await p.waitForFunction(() => document.querySelector('#train-start')?.getAttribute('aria-pressed') === 'false');
      const threads = await p.$eval('dd[data-stat="threads"]', (e) => e.textContent ?? '');
      const losses = await p.evaluate(() => (window as unknown as { playground: { losses(): [number, number][] } }).playground.losses());
      await p.close();
      return { threads, losses };
    };
    const UPDATES = 40;
    const one = await lossesOn(`${url}?threads=1`, UPDATES);
    const two = await lossesOn(`${url}?threads=2`, UPDATES);
    assert.equal(one.threads, '1 (set by the address)');
    assert.equal(two.threads, '2 (set by the address)');
    assert.ok(one.losses.length >= UPDATES && two.losses.length >= UPDATES, `${one.losses.length} and ${two.losses.length} losses`);
    let worst = 0;
    for (let i = 0; i < UPDATES; i++) {
      const [s1, l1] = one.losses[i]!;
      const [s2, l2] = two.losses[i]!;
      assert.equal(s1, s2);
      worst = Math.max(worst, Math.abs(l1 - l2));
    }
    console.log(`# ${UPDATES} updates, 1 vs 2 threads: largest loss difference ${worst.toExponential(2)} (losses ${one.losses[0]![1].toFixed(4)} → ${one.losses[UPDATES - 1]![1].toFixed(4)})`);
    assert.ok(worst < 1e-5, `2 threads follow 1 thread's losses: largest difference ${worst}`);
    assert.ok(two.losses[UPDATES - 1]![1] < two.losses[0]![1] - 0.5, 'the loss falls on 2 threads');
    // Without the headers: no shared memory, one thread, and it still trains.
    const noIsolation = await lossesOn(plain.url, 5);
    assert.equal(noIsolation.threads, '1 (page not cross-origin isolated)');
    mark('threads');

    assert.deepEqual(errors, [], 'no console errors');
  } catch (err) {
    // what the page showed when it failed, for the CI log and test-output/
    await shown?.screenshot({ path: join(artifacts, 'playground-failure.png'), fullPage: true }).catch(() => undefined);
    const status = await shown?.evaluate(() => [document.querySelector('#train-status')?.textContent, document.querySelector('#walk-error')?.textContent]).catch(() => []);
    console.log(`# failed; page status: ${JSON.stringify(status)}; console errors: ${JSON.stringify(errors)}`);
    throw err;
  } finally {
    await browser.close();
    server.close();
    plain.server.close();
    rmSync(out, { recursive: true, force: true });
  }
});
