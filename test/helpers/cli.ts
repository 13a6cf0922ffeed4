/** Runs the compiled CLI in a child process, as a user would. */

import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/bin.js, next to this compiled helper. */
export const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `recurrent <args>` and returns its exit code and output. */
export function runCli(args: readonly string[], options: { cwd?: string; timeout?: number; input?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    timeout: options.timeout ?? 120_000,
    input: options.input ?? '',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs `rnnkit <args>` in `cwd`, sends SIGTERM once its stderr matches
 * `trigger` (an event, not a delay), and resolves with its exit code.
 */
export function interruptWhen(args: readonly string[], trigger: RegExp, cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && trigger.test(stderr)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.stdout.resume();
    child.on('close', (code) => resolve({ code, stderr }));
  });
}
