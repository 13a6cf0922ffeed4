/** PyTorch for the model-file tests: Debian's python3-torch under /usr/bin/python3, or a reason to skip. */

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
/** python/ in the repository (rnnkit_torch.py), from dist/test/helpers. */
export const PYTHON_DIR = fileURLToPath(new URL('../../../python/', import.meta.url));

function probe(): string | false {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torch.distributed; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${PYTHON} is not available (${r.error.message}); install python3-torch (apt-get install python3-torch libopenblas0-pthread)`;
  if (r.status !== 0) return `${PYTHON} cannot import torch; install python3-torch (apt-get install python3-torch libopenblas0-pthread)`;
  return false;
}

/** false when torch is usable, else why the PyTorch tests are skipped. */
export const TORCH_SKIP: string | false = probe();

/** Runs a Python script with python/ on its path; returns stdout, throwing with stderr on failure. */
export function runPython(script: string, args: readonly string[] = [], env: Record<string, string> = {}): string {
  const r = spawnSync(PYTHON, ['-c', script, ...args], {
    encoding: 'utf8', timeout: 300_000,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, OMP_NUM_THREADS: '1', ...env },
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** What {@link runTorchrun} returns: the report rank 0 printed, and how many attempts it took. */
export interface TorchrunResult {
  readonly report: { ranks: number; steps: number; heldOutBefore: number; heldOutAfter: number; parameterSums: number[][] };
  readonly attempts: string[];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs python/rnnkit_torch.py under `torch.distributed.run` with the
 * launcher arguments given (e.g. `--nproc_per_node 2`) on the loopback
 * address, and returns rank 0's JSON report. Adds `--redirects 1 --tee 1`:
 * torch 1.13 on Python 3.11 cannot parse the default "0" (Std.from_str
 * returns None); 1 keeps each worker's stdout on the console (prefixed with
 * its rank) and in a log file. On this shared machine a free port can be
 * taken between choosing and binding it, so a failed launch is tried once
 * more on another port; the first failure is returned in `attempts`.
 */
export async function runTorchrun(launcher: readonly string[], scriptArgs: readonly string[], cwd: string): Promise<TorchrunResult> {
  const attempts: string[] = [];
  for (let attempt = 1; attempt <= 2; attempt++) {
    const port = await freePort();
    const r = spawnSync(PYTHON, ['-m', 'torch.distributed.run', ...launcher, '--nnodes', '1', '--master_addr', '127.0.0.1', '--master_port', String(port),
      '--redirects', '1', '--tee', '1', '--log_dir', path.join(cwd, `torch-logs-${attempt}`),
      path.join(PYTHON_DIR, 'rnnkit_torch.py'), ...scriptArgs, '--timeout', '120'],
    { cwd, encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1', GLOO_SOCKET_IFNAME: 'lo' } });
    const line = r.stdout?.split('\n').find((l) => l.includes('{"ranks"'));
    if (r.status === 0 && line) return { report: JSON.parse(line.slice(line.indexOf('{'))) as TorchrunResult['report'], attempts };
    attempts.push(`attempt ${attempt} (port ${port}): exit ${r.status ?? r.signal}; stdout ${(r.stdout ?? '').slice(-800)}; stderr ${(r.stderr ?? '').slice(-1500)}`);
  }
  throw new Error(`torch.distributed.run failed twice: ${attempts.join(' | ')}`);
}
