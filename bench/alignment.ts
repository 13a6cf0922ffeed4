/**
 * The alignment picture of docs/tasks.md: one word's attention weights α
 * (src/seq2seq/attention.ts) as a grid, the word's letters across and the
 * phonemes the model says down (the end symbol last), each cell shaded by
 * the weight that phoneme's decoder step puts on that letter.
 *
 *   node dist/bench/alignment.js MODEL WORD OUT.svg [--beam K]
 *
 * MODEL is a pronunciation model with attention (rnnkit pronounce -o MODEL).
 */

import { readFileSync } from 'node:fs';
import { decodeModel } from '../src/io/model-file.js';
import { writeFileAtomic } from '../src/node/outputs.js';
import { decode } from '../src/seq2seq/decode.js';

const argv = process.argv.slice(2);
const beamAt = argv.indexOf('--beam');
const beam = beamAt >= 0 ? Number(argv[beamAt + 1]) : 3;
const [modelFile, word, out] = argv.filter((_, i) => beamAt < 0 || (i !== beamAt && i !== beamAt + 1));
if (!modelFile || !word || !out) {
  process.stderr.write('usage: node dist/bench/alignment.js MODEL WORD OUT.svg [--beam K]\n');
  process.exit(2);
}
const file = decodeModel(readFileSync(modelFile), { what: modelFile });
if (file.model.kind !== 'seq2seq' || !file.model.model.attention) {
  process.stderr.write(`${modelFile}: not an encoder–decoder with attention; train one with rnnkit pronounce -o ${modelFile}\n`);
  process.exit(1);
}
const { model, source, target } = file.model;
const letters = [...word.toLowerCase()];
const [said] = decode(model, [source.encode(letters.join(''))], { beamWidth: beam, maxLength: 3 * letters.length + 5, attention: true });
const phonemes = [...target.decode(said!.symbols), ...(said!.ended ? ['⟨/s⟩'] : [])];
const alpha = said!.attention!;

// Layout: a label column, then one square per letter; a header row, then one row per phoneme.
const cell = 40;
const left = 64;
const top = 76;
const title = `“${letters.join('')}” → ${phonemes.slice(0, said!.symbols.length).join(' ')}`;
// wide enough for the grid, the title (15 px, ~9 px a character) and the 12 px subtitle
const width = Math.max(left + cell * letters.length + 16, left + 9 * title.length + 16, 480);
const height = top + cell * phonemes.length + 40;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const parts: string[] = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">`,
  `<rect width="${width}" height="${height}" fill="#fff"/>`,
  `<text x="${left}" y="22" font-size="15" font-weight="600">${esc(title)}</text>`,
  `<text x="${left}" y="42" font-size="12" fill="#444">attention weight α of each phoneme (row) on each letter (column)</text>`,
];
letters.forEach((l, j) => parts.push(`<text x="${left + j * cell + cell / 2}" y="${top - 10}" font-size="16" text-anchor="middle" font-family="ui-monospace, monospace">${esc(l)}</text>`));
phonemes.forEach((p, t) => {
  const y = top + t * cell;
  parts.push(`<text x="${left - 8}" y="${y + cell / 2 + 5}" font-size="14" text-anchor="end" font-family="ui-monospace, monospace">${esc(p)}</text>`);
  alpha[t]!.forEach((w, j) => {
    // white (α = 0) to dark blue (α = 1); the number in white on dark cells
    const shade = (v0: number, v1: number): number => Math.round(v0 + (v1 - v0) * w);
    const fill = `rgb(${shade(255, 8)},${shade(255, 48)},${shade(255, 107)})`;
    const x = left + j * cell;
    parts.push(`<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${fill}" stroke="#ccc" stroke-width="0.5"/>`);
    if (w >= 0.05) parts.push(`<text x="${x + cell / 2 - 1}" y="${y + cell / 2 + 4}" font-size="11" text-anchor="middle" fill="${w > 0.5 ? '#fff' : '#111'}">${w.toFixed(2)}</text>`);
  });
});
parts.push(`<text x="${left}" y="${height - 14}" font-size="11" fill="#444">weights below 0.05 left blank; each row sums to 1</text>`, '</svg>');
await writeFileAtomic(out, parts.join('\n') + '\n');
process.stdout.write(`${word}: ${phonemes.join(' ')} (log-probability ${said!.logProb.toFixed(4)}) → ${out}\n`);
