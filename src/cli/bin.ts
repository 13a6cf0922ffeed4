#!/usr/bin/env node
/**
 * Process wiring of the `rnnkit` command: signals, stdout/stderr, exit
 * code. The first SIGINT/SIGTERM asks the running command to stop cleanly
 * (it saves what it has); a second one exits at once.
 */

import { setFlagsFromString } from 'node:v8';
import type { CommandIO } from './args.js';

// Relaxed SIMD (fused multiply-add in the WebAssembly kernels) is behind a
// flag in Node 20; it must be set before the first module is compiled, so
// the rest of the CLI is imported after it.
setFlagsFromString('--experimental-wasm-relaxed-simd');
const { main } = await import('./main.js');

const controller = new AbortController();
let interrupts = 0;
const onSignal = (sig: NodeJS.Signals): void => {
  interrupts++;
  if (interrupts > 1) process.exit(sig === 'SIGINT' ? 130 : 143);
  controller.abort(sig);
};
let listening = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});

const io: CommandIO = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTTY: process.stdout.isTTY === true,
  // The handlers go in when a command first asks for the signal. A command that never does
  // (a synchronous one, which could not see the signal anyway: handlers run only when the
  // event loop is free) keeps the default, so Ctrl-C stops it at once instead of being ignored.
  get signal(): AbortSignal {
    if (!listening) {
      listening = true;
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }
    return controller.signal;
  },
};

process.exitCode = await main(process.argv.slice(2), io);
