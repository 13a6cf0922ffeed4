/**
 * Data-parallel training on Node worker threads.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DataParallel, type DataParallelOptions, type ParallelModel, type ReplicaPort } from '../parallel/data-parallel.js';

/** Options of {@link createDataParallel}: threads default to the machine's cores. */
export type NodeDataParallelOptions = Omit<DataParallelOptions, 'threads'> & { readonly threads?: number };

/**
 * Starts `threads − 1` worker threads, each holding a replica of `model` (a
 * network, or a trainable that can be sharded: an encoder–decoder, a
 * mean-pooled classifier), and
 * returns the {@link DataParallel} that splits batches across them and this
 * thread. Pass it to `fit` as `parallel`; call `dispose()` when done. Once
 * started, the threads do not keep the process alive.
 */
export async function createDataParallel(model: ParallelModel, options: NodeDataParallelOptions = {}): Promise<DataParallel> {
  const threads = options.threads ?? availableParallelism();
  const workers: Worker[] = [];
  const parallel = await DataParallel.create(model, () => nodeReplica(workers), { ...options, threads });
  // while starting, a thread's pending 'ready' must keep the process alive; from now on nothing should
  // (listeners attached to a worker ref its port again, so this comes last)
  for (const w of workers) w.unref();
  return parallel;
}

/** One worker_thread running the replica loop (src/node/gradient-thread.ts), added to `started`. */
function nodeReplica(started: Worker[]): ReplicaPort {
  // no inherited execArgv: the parent's may not suit a worker (--input-type, --eval); V8 flags such as
  // --experimental-wasm-relaxed-simd are process-wide and reach the thread anyway
  const worker = new Worker(new URL('./gradient-thread.js', import.meta.url), { execArgv: [] });
  started.push(worker);
  return {
    postMessage: (m) => worker.postMessage(m),
    onMessage: (handler) => worker.on('message', handler),
    onError: (handler) => {
      worker.on('error', handler);
      worker.on('exit', (code) => handler(new Error(`the thread exited with code ${code}`)));
    },
    terminate: () => void worker.terminate(),
  };
}
