/**
 * Data-parallel training in the browser: how many threads a run gets, and
 * the gradient replicas as nested Web Workers (gradient-worker.ts) behind
 * the library's `DataParallel`. Shared memory needs a cross-origin-isolated
 * page (the headers `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`); without it, or with a small
 * batch or one core, training runs on the training worker alone.
 */

import { DataParallel, MIN_SEQUENCES_PER_THREAD, threadsFor, type ReplicaPort } from '../../src/parallel/data-parallel.js';
import type { FromReplica } from '../../src/parallel/protocol.js';
import type { Network } from '../../src/model/network.js';

/** Most threads chosen from the cores (each replica is a full copy of the network). */
export const MAX_THREADS = 4;
/** How long the replicas may take to start before training goes on without them. */
const START_TIMEOUT_MS = 20_000;

/** The threads a run trains on, and why no more (empty when nothing held it back). */
export interface ThreadPlan {
  readonly threads: number;
  readonly reason: string;
}

/** Whether this context may share memory between threads (SharedArrayBuffer in a cross-origin-isolated page). */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * The thread count for a batch of B sequences: the library's
 * {@link threadsFor} (min(cores, ⌊B / 8⌋), so a batch needs 16 sequences for
 * 2 threads) capped at MAX_THREADS; or `forced` (from the page's address),
 * still at most ⌊B / 8⌋.
 */
export function planThreads(B: number, forced?: number): ThreadPlan {
  if (!sharedMemoryAvailable()) return { threads: 1, reason: 'page not cross-origin isolated' };
  if (typeof Worker !== 'function') return { threads: 1, reason: 'no nested workers' };
  if (forced === 1) return { threads: 1, reason: 'set by the address' };
  const byBatch = threadsFor(B, Infinity);
  if (byBatch < 2) return { threads: 1, reason: `batch below ${2 * MIN_SEQUENCES_PER_THREAD}` };
  if (forced !== undefined) return { threads: Math.min(forced, byBatch), reason: forced > byBatch ? `batch of ${B}` : 'set by the address' };
  const cores = navigator.hardwareConcurrency || 1;
  if (cores < 2) return { threads: 1, reason: 'one core' };
  return { threads: threadsFor(B, Math.min(cores, MAX_THREADS)), reason: '' };
}

/** One nested Web Worker running a gradient replica. */
export function spawnWebReplica(): ReplicaPort {
  const worker = new Worker(new URL('./gradient-worker.ts', import.meta.url), { type: 'module' });
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (handler) => { worker.onmessage = (e: MessageEvent<FromReplica>) => handler(e.data); },
    onError: (handler) => {
      worker.onerror = (e) => {
        e.preventDefault();
        handler(new Error(e.message || 'the gradient worker could not start'));
      };
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * Starts the replicas of `plan` for `net`: a DataParallel to pass to `fit`,
 * or null for one thread. A failure to start (or a start slower than
 * START_TIMEOUT_MS) is not an error: training goes on one thread, and the
 * returned plan says why.
 */
export async function startThreads(net: Network, plan: ThreadPlan): Promise<{ parallel: DataParallel | null; plan: ThreadPlan }> {
  if (plan.threads <= 1) return { parallel: null, plan };
  const ports: ReplicaPort[] = [];
  const spawn = (): ReplicaPort => {
    const port = spawnWebReplica();
    ports.push(port);
    return port;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const created = DataParallel.create(net, spawn, { threads: plan.threads });
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the gradient workers did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  });
  try {
    return { parallel: await Promise.race([created, timeout]), plan };
  } catch (e) {
    for (const port of ports) port.terminate();
    created.then((p) => p.dispose(), () => undefined);
    console.warn('training on one thread:', e);
    return { parallel: null, plan: { threads: 1, reason: 'threads failed to start' } };
  } finally {
    clearTimeout(timer);
  }
}
