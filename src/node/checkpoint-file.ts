/**
 * Checkpoint files on disk (Node only). Writes are atomic: a crash or a full
 * disk in the middle of a save leaves the previous file as it was, never a
 * half-written one.
 */

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FormatError, OptionError } from '../core/errors.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type DecodeOptions } from '../io/checkpoint.js';

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** A temporary file is another writer's for at most a few seconds; one older than this whose process is gone was left by a crash. */
const STALE_TEMP_MS = 60_000;

/**
 * Removes the temporary files {@link tempName} gave writers of `target` that
 * were killed before their rename (SIGKILL, power cut): the process is gone
 * and the file is older than a minute. Best effort: errors are ignored.
 */
function sweepStaleTemps(target: string): void {
  const dir = path.dirname(target);
  const prefix = `.${path.basename(target)}.`;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (!m || Number(m[1]) === process.pid || processExists(Number(m[1]))) continue;
    const file = path.join(dir, name);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > STALE_TEMP_MS) fs.rmSync(file, { force: true });
    } catch {
      // gone already, or not ours to remove
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return typeof e === 'object' && e !== null && 'code' in e && e.code === 'EPERM';
  }
}

/** fsync of a directory makes a rename durable; some platforms (Windows) and file systems refuse it, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here: the rename is still atomic, only its durability is up to the OS
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // as above
  } finally {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

/**
 * Writes `bytes` to `file` atomically: to a temporary file in the same
 * directory (same file system, so the rename is atomic), fsync, rename over
 * `file`, then fsync the directory where the platform allows. On any failure
 * the temporary file is removed, `file` is untouched, and the error is
 * rethrown.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  sweepStaleTemps(file);
  const temp = tempName(file);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
      written += bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temp, file);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    throw e;
  }
  await syncDirectory(path.dirname(file));
}

/** Synchronous {@link writeFileAtomic}: for exit handlers and scripts. */
export function writeFileAtomicSync(file: string, bytes: Uint8Array): void {
  sweepStaleTemps(file);
  const temp = tempName(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(temp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temp, file);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    fs.rmSync(temp, { force: true });
    throw e;
  }
  syncDirectorySync(path.dirname(file));
}

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
