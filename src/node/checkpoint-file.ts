/**
 * Checkpoint files on disk (Node only). Writes are atomic ({@link writeFileAtomic}):
 * a crash or a full disk in the middle of a save leaves the previous file as
 * it was, never a half-written one, and the replaced file's mode is kept.
 */

import fs from 'node:fs';
import { FormatError, OptionError } from '../core/errors.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type DecodeOptions } from '../io/checkpoint.js';
import { writeFileAtomic, writeFileAtomicSync } from './outputs.js';

// The atomic writer lives in outputs.ts (one writer for every output); re-exported here for existing callers.
export { writeFileAtomic, writeFileAtomicSync };

/** Encodes a checkpoint ({@link encodeCheckpoint}) and writes it atomically to `file`. */
export async function saveCheckpointFile(file: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(file, encodeCheckpoint(checkpoint));
}

/** Synchronous {@link saveCheckpointFile}. */
export function saveCheckpointFileSync(file: string, checkpoint: Checkpoint): void {
  writeFileAtomicSync(file, encodeCheckpoint(checkpoint));
}

/**
 * Reads and decodes a checkpoint file ({@link decodeCheckpoint}). A missing
 * file is an {@link OptionError} naming the path; a damaged one a
 * FormatError whose message starts with the path.
 */
export async function loadCheckpointFile(file: string, options: DecodeOptions = {}): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(file);
  } catch (e) {
    throw readError(file, e);
  }
  return decodeFrom(file, bytes, options);
}

/** Synchronous {@link loadCheckpointFile}. */
export function loadCheckpointFileSync(file: string, options: DecodeOptions = {}): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw readError(file, e);
  }
  return decodeFrom(file, bytes, options);
}

function readError(file: string, e: unknown): Error {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  if (code === 'ENOENT') return new OptionError(`checkpoint file ${file} does not exist; check the path (relative paths start at ${process.cwd()})`);
  if (code === 'EISDIR') return new OptionError(`checkpoint file ${file} is a directory, not a checkpoint file`);
  return e instanceof Error ? e : new Error(String(e));
}

function decodeFrom(file: string, bytes: Uint8Array, options: DecodeOptions): Checkpoint {
  try {
    return decodeCheckpoint(bytes, options);
  } catch (e) {
    throw e instanceof FormatError ? new FormatError(`${file}: ${e.message}`) : e;
  }
}
