/**
 * Data-parallel training on Node worker threads.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Network } from '../model/network.js';
import { DataParallel, type DataParallelOptions, type ReplicaPort } from '../parallel/data-parallel.js';

/** Options of {@link createDataParallel}: threads default to the machine's cores. */
export type NodeDataParallelOptions = Omit<DataParallelOptions, 'threads'> & { readonly threads?: number };

/**
 * Starts `threads − 1` worker threads, each holding a replica of `net`, and
 * returns the {@link DataParallel} that splits batches across them and this
 * thread. Pass it to `fit` as `parallel`; call `dispose()` when done (the
 * threads do not keep the process alive, but hold memory until then).
 */
export async function createDataParallel(net: Network, options: NodeDataParallelOptions = {}): Promise<DataParallel> {
  const threads = options.threads ?? availableParallelism();
  return DataParallel.create(net, spawnNodeReplica, { ...options, threads });
}

/** One worker_thread running the replica loop. */
export function spawnNodeReplica(): ReplicaPort {
  const worker = new Worker(new URL('./gradient-thread.js', import.meta.url));
  worker.unref();
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
