#!/usr/bin/env node
/**
 * Process wiring of the `rnnkit` command: signals, stdout/stderr, exit code.
 *
 * Stopping a run never loses it. The first SIGINT (Ctrl-C), SIGTERM (kill)
 * or SIGHUP (the terminal closed) aborts `io.signal`: the running command
 * stops cleanly and saves what it has; a second signal exits at once. A
 * closed stdout (EPIPE, e.g. `rnnkit train … --json-log | head -2`) does
 * the same: writes to stdout stop, the run is aborted so the command saves,
 * and the process exits non-zero.
 *
 * Exit codes after an abort are 128 + the signal's number, as a shell
 * reports a process killed by it, whatever the command returned (unless it
 * failed, 1 or 2): SIGHUP 129, SIGINT 130, SIGTERM 143, and 141 (SIGPIPE)
 * for a closed stdout. So a script never sees 0 from a run it cut short.
 */

import { setFlagsFromString } from 'node:v8';
import type { CommandIO } from './args.js';

// Relaxed SIMD (fused multiply-add in the WebAssembly kernels) is behind a
// flag in Node 20; it must be set before the first module is compiled, so
// the rest of the CLI is imported after it.
setFlagsFromString('--experimental-wasm-relaxed-simd');
const { main } = await import('./main.js');

/** Exit code of a run stopped by each cause: 128 + the signal number. */
const ABORT_EXIT: Readonly<Record<string, number>> = { SIGHUP: 129, SIGINT: 130, SIGPIPE: 141, SIGTERM: 143 };
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const controller = new AbortController();
/** True once the command has asked for `io.signal`: from then on it stops cleanly (and saves) when aborted. */
let listening = false;
let abortExit = 0;
let interrupts = 0;
const abort = (cause: string): void => {
  if (abortExit === 0) abortExit = ABORT_EXIT[cause] ?? 1;
  controller.abort(cause);
};
const onSignal = (sig: NodeJS.Signals): void => {
  interrupts++;
  if (interrupts > 1) process.exit(ABORT_EXIT[sig] ?? 1);
  abort(sig);
};

// A closed stdout: stop writing to it and abort the run (the command saves); the exit code says it was cut short.
// A command that never took the signal has no clean stop to make: it ends at once, as SIGPIPE would end it
// (`rnnkit sample m.rnn --length 1000000 | head -c 80` does not generate the rest into nowhere).
let stdoutOpen = true;
process.stdout.on('error', () => {
  stdoutOpen = false;
  if (!listening) process.exit(ABORT_EXIT.SIGPIPE);
  abort('SIGPIPE');
});
// A closed stderr only loses progress lines: stop writing to it and let the run finish and save.
let stderrOpen = true;
process.stderr.on('error', () => {
  stderrOpen = false;
});

const io: CommandIO = {
  out: (t) => {
    if (stdoutOpen) process.stdout.write(t);
  },
  err: (t) => {
    if (stderrOpen) process.stderr.write(t);
  },
  // Progress bars and their \r frames go to stderr, so it is stderr that must be a terminal
  // (`rnnkit train … 2> log.txt` logs plain lines).
  isTTY: process.stderr.isTTY === true,
  // The handlers go in when a command first asks for the signal. A command that never does
  // (a synchronous one, which could not see the signal anyway: handlers run only when the
  // event loop is free) keeps the default, so Ctrl-C stops it at once instead of being ignored.
  get signal(): AbortSignal {
    if (!listening) {
      listening = true;
      for (const sig of SIGNALS) process.on(sig, onSignal);
    }
    return controller.signal;
  },
};

const code = await main(process.argv.slice(2), io);
// A run cut short by a signal or a closed stdout never exits 0, nor with a generic "interrupted" code.
process.exitCode = abortExit !== 0 && code !== 1 && code !== 2 ? abortExit : code;
