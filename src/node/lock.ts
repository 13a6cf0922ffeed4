/**
 * An output-path lock (Node only), so that two runs writing the same file
 * (`rnnkit train -o model.rnn` started twice) do not interleave their
 * checkpoints and reports: the second one refuses with a message naming
 * the first.
 *
 * The lock is a file `<output>.lock` next to the output, created
 * exclusively (`O_CREAT | O_EXCL`, atomic on local file systems) and
 * holding `{pid, host, started, command}`. A lock whose process no longer
 * exists on this host is stale (the run was killed, e.g. by SIGKILL or a
 * power cut) and is taken over; breaking it is serialised by a second
 * exclusive file, `<output>.lock.break`, so that two runs finding the same
 * stale lock cannot both take it.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { OptionError, RecurrentError } from '../core/errors.js';

/** Another run holds the lock on an output path. Exit code 1 in the CLI. */
export class LockError extends RecurrentError {
  constructor(message: string) {
    super('LOCKED', message);
  }
}

/** What a lock file holds. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly started: string;
  /** What holds it, e.g. `"rnnkit train"`. */
  readonly command: string;
  /** Random token telling this holder from a later one with the same pid. */
  readonly token: string;
}

/** A held lock; {@link OutputLock.release} it when the output is complete. */
export interface OutputLock {
  /** The output path the lock protects. */
  readonly target: string;
  /** The lock file, `<target>.lock`. */
  readonly file: string;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

/** Options of {@link lockOutput}. */
export interface LockOptions {
  /** Named in the message another run sees. Default `"rnnkit"`. */
  readonly command?: string;
  /** A lock file that cannot be read (being written, or damaged) counts as stale after this long. Default 10 s. */
  readonly unreadableStaleMs?: number;
}

/** The lock file that protects `target`. */
export function lockFileOf(target: string): string {
  return `${path.resolve(target)}.lock`;
}

/**
 * Takes the lock on `target` or throws a {@link LockError} naming the run
 * that holds it (pid, host, start time) and the lock file to delete if that
 * run is known to be gone. A stale lock (its process is gone) is taken
 * over. The lock is released by {@link OutputLock.release}, and in any case
 * when this process exits normally, or is stopped by SIGINT, SIGTERM or
 * SIGHUP that nothing else in the process handles (the lock is removed, then
 * the signal is raised again so the process ends as the signal says).
 */
export function lockOutput(target: string, options: LockOptions = {}): OutputLock {
  checkOutputPath(target);
  const file = lockFileOf(target);
  const info: LockInfo = {
    pid: process.pid, host: os.hostname(), started: new Date().toISOString(),
    command: options.command ?? 'rnnkit', token: randomBytes(8).toString('hex'),
  };
  const staleMs = options.unreadableStaleMs ?? 10_000;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file, info)) return held(target, file, info);
    const holder = readLock(file);
    if (holder === 'gone') continue; // released between our attempt and the read: try again
    if (!isStale(file, holder, staleMs)) throw lockedMessage(target, file, holder);
    breakStale(file, holder, staleMs);
  }
  const holder = readLock(file);
  throw lockedMessage(target, file, holder === 'gone' ? 'unreadable' : holder);
}

/**
 * Throws an {@link OptionError} when `target` exists but is not a regular
 * file: an atomic write renames over it, which would replace a directory's
 * entry, a device such as /dev/full, or a symbolic link itself rather than
 * write through them.
 */
export function checkOutputPath(target: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch {
    return; // does not exist yet: fine
  }
  if (st.isFile()) return;
  const kind = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file (a device, pipe or socket)';
  throw new OptionError(`output ${target} is ${kind}; give the path of a file to write (it is replaced as a whole)`);
}

function tryCreate(file: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o644);
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    if (errno(e) === 'ENOENT') throw new LockError(`cannot lock ${file}: its directory does not exist`);
    throw new LockError(`cannot lock ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    fs.writeSync(fd, JSON.stringify(info) + '\n');
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true }); // never leave an empty lock behind (e.g. a full disk)
    throw new LockError(`cannot lock ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  fs.closeSync(fd);
  return true;
}

/** The lock's holder, `"unreadable"` when the file holds no valid record, `"gone"` when it no longer exists. */
function readLock(file: string): LockInfo | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return errno(e) === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const j = JSON.parse(text) as Partial<LockInfo>;
    if (typeof j === 'object' && j !== null && Number.isSafeInteger(j.pid) && typeof j.host === 'string' && typeof j.token === 'string') {
      return { pid: j.pid!, host: j.host, started: String(j.started ?? '?'), command: String(j.command ?? 'rnnkit'), token: j.token };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to another user). */
function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

function isStale(file: string, holder: LockInfo | 'unreadable', staleMs: number): boolean {
  if (holder === 'unreadable') {
    // Created but not yet written by its owner, or damaged: stale only once it is old.
    try {
      return Date.now() - fs.statSync(file).mtimeMs > staleMs;
    } catch {
      return true;
    }
  }
  // Another host's process cannot be checked from here: never stale.
  return holder.host === os.hostname() && !alive(holder.pid);
}

/**
 * Removes a stale lock, serialised by `<lock>.break` so that of two runs
 * finding the same stale lock only one removes it (the other then finds
 * the new owner's live lock). A `.break` file left by a killed breaker is
 * removed once it is older than `staleMs`.
 */
function breakStale(file: string, seen: LockInfo | 'unreadable', staleMs: number): void {
  const guard = `${file}.break`;
  let fd: number;
  try {
    fd = fs.openSync(guard, 'wx');
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw new LockError(`cannot lock ${file}: ${e instanceof Error ? e.message : String(e)}`);
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > staleMs) fs.rmSync(guard, { force: true });
    } catch {
      // someone else removed it
    }
    return; // another run is breaking it: look again
  }
  try {
    const now = readLock(file);
    // Remove only the lock we judged stale, not one a faster run has taken since.
    const same = now === 'unreadable' ? seen === 'unreadable' : now !== 'gone' && seen !== 'unreadable' && now.token === seen.token;
    if (same) fs.rmSync(file, { force: true });
  } finally {
    fs.closeSync(fd);
    fs.rmSync(guard, { force: true });
  }
}

function lockedMessage(target: string, file: string, holder: LockInfo | 'unreadable'): LockError {
  if (holder === 'unreadable') {
    return new LockError(`${target} is locked by another run (lock file ${file}, being created or damaged); wait for that run, or delete the lock file if no run is writing ${target}`);
  }
  const where = holder.host === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on host ${holder.host}`;
  return new LockError(`${target} is being written by another run (${holder.command}, ${where}, since ${holder.started}); wait for it to finish or write to another file (--out); if that run is gone, delete ${file}`);
}

const heldLocks = new Set<() => void>();
let exitHook = false;

function releaseAll(): void {
  for (const r of [...heldLocks]) {
    try {
      r();
    } catch {
      // exiting anyway
    }
  }
}

/** Signals that end a process by default; while a lock is held, they remove it first. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * A signal while locks are held. If another listener handles it (the CLI
 * stops its run cleanly and releases the lock itself), nothing to do;
 * otherwise remove the locks and re-raise the signal with the default
 * action, so the process ends exactly as it would have.
 */
function onEndingSignal(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) > 1) return;
  releaseAll();
  for (const s of ENDING_SIGNALS) process.removeListener(s, onEndingSignal);
  process.kill(process.pid, sig);
}

function held(target: string, file: string, info: LockInfo): OutputLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    heldLocks.delete(release);
    const now = readLock(file);
    if (now !== 'gone' && now !== 'unreadable' && now.token === info.token) fs.rmSync(file, { force: true });
  };
  heldLocks.add(release);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', releaseAll);
    for (const s of ENDING_SIGNALS) process.on(s, onEndingSignal);
  }
  return { target, file, release };
}

function errno(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}
