/** PyTorch for the model-file tests: Debian's python3-torch under /usr/bin/python3, or a reason to skip. */

import { spawnSync } from 'node:child_process';
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
