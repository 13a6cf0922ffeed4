/** Reading a `.rnn` model file of any kind for a command (predict, --resume), with one-line errors naming the file. */

import { readFile } from 'node:fs/promises';
import { FormatError, OptionError } from '../core/errors.js';
import { decodeModel, type ModelFile } from '../io/model-file.js';

/** The bytes of a model file; a missing file or a folder is one line naming it. */
export async function loadCheckpointBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    if (code === 'ENOENT') throw new OptionError(`${file}: no such model file; check the path (relative paths start at ${process.cwd()})`);
    if (code === 'EISDIR') throw new OptionError(`${file}: is a directory, not a model file`);
    throw e;
  }
}

/** A decoded model file of any kind (see src/io/model-file.ts). */
export async function loadModelFile(file: string): Promise<ModelFile> {
  const bytes = await loadCheckpointBytes(file);
  try {
    return decodeModel(bytes, { what: file });
  } catch (e) {
    if (e instanceof FormatError && !e.message.startsWith(`${file}:`)) {
      const message = e.message.startsWith(`${file} `) ? e.message.slice(file.length + 1) : e.message;
      throw new FormatError(`${file}: ${message}${message.includes('retrain') ? '' : '; give a model saved by rnnkit (train, forecast, classify or pronounce)'}`);
    }
    throw e;
  }
}
