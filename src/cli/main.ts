/**
 * The `rnnkit` command: `rnnkit <command> [options]`.
 * Exit codes: 0 success, 1 failure, 2 bad usage. Results go to stdout,
 * progress and errors to stderr; no stack trace reaches the user.
 */

import { readFileSync } from 'node:fs';
import { RecurrentError } from '../core/errors.js';
import { commandHelp, parseArgs, UsageError, type CommandIO } from './args.js';
import { COMMANDS } from './commands/index.js';
import { chooseKernels } from './kernels.js';
import { OutputRefusedError } from '../node/outputs.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function mainHelp(): string {
  const width = COMMANDS.reduce((w, c) => Math.max(w, c.name.length), 0) + 4;
  return [
    'Usage: rnnkit <command> [options]',
    '',
    'Recurrent neural networks (RNN, LSTM, GRU) trained by backpropagation through time.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  --help, -h      show help (also after a command: rnnkit <command> --help)',
    '  --version       print the version',
    '',
    'Every command accepts --json to print its result as JSON.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.err(mainHelp() + '\n');
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    io.out(mainHelp() + '\n');
    return 0;
  }
  if (first === '--version' || first === '-v') {
    io.out(version() + '\n');
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  try {
    if (!command) throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const args = parseArgs(command, rest);
    if (args.options.help) {
      io.out(commandHelp(command) + '\n');
      return 0;
    }
    chooseKernels();
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      // One line naming the problem, then the usage.
      io.err(`rnnkit: ${oneLine(e.message)}\n`);
      io.err(command ? `Usage: rnnkit ${command.name} ${command.usage} (see --help)\n` : 'Usage: rnnkit <command> [options] (see --help)\n');
      return 2;
    }
    if (e instanceof OutputRefusedError) {
      // An output that would destroy an input or a file we did not make: bad usage, one line.
      io.err(`rnnkit: ${oneLine(e.message)}\n`);
      return 2;
    }
    if (e instanceof RecurrentError) {
      io.err(`rnnkit: ${oneLine(e.message)}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.message === 'string') {
      io.err(`rnnkit: ${oneLine(err.message)}\n`);
      return 1;
    }
    if (err instanceof RangeError && /allocat|Invalid (typed )?array length|out of memory/i.test(err.message)) {
      // Sizes under the library's 8 GiB limit that this machine or process cannot hold.
      io.err(`rnnkit: out of memory (${oneLine(err.message)}): the model or its work buffers do not fit in the memory this process can get; choose smaller sizes (--hidden, --layers, --batch, --seq-len)\n`);
      return 1;
    }
    io.err(`rnnkit: internal error: ${oneLine(err instanceof Error ? err.message : String(err))}\n`);
    if (process.env.RNNKIT_DEBUG) io.err(`${err instanceof Error ? err.stack : ''}\n`);
    return 1;
  }
}

/** A message as one line: control characters (a file's bytes quoted in a parser's message) escaped, e.g. `\n`. */
function oneLine(message: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return message.replace(/[\u0000-\u001f\u007f]/g, (c) => named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
