/**
 * A gradient replica in a Web Worker, started by the training worker (a
 * nested worker, see threads.ts): wires the worker's messages to the
 * library's `serveReplica`, which then computes its shard of each batch's
 * gradient in shared memory until told to exit.
 */

import { serveReplica } from '../../src/parallel/replica.js';
import type { FromReplica, ToReplica } from '../../src/parallel/protocol.js';

/** The parts of a dedicated worker's global scope used here (the page's tsconfig has the DOM types, not WebWorker's). */
interface WorkerScope {
  onmessage: ((e: MessageEvent<ToReplica>) => void) | null;
  postMessage(message: FromReplica): void;
  close(): void;
}

const scope = self as unknown as WorkerScope;
serveReplica({
  onMessage: (handler) => { scope.onmessage = (e) => handler(e.data); },
  postMessage: (m) => scope.postMessage(m),
  close: () => scope.close(),
});
