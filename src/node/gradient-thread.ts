/**
 * Entry point of a gradient replica thread in Node (worker_threads): wires
 * the thread's message port to {@link serveReplica}.
 */

import { parentPort } from 'node:worker_threads';
import { serveReplica } from '../parallel/replica.js';
import type { ToReplica } from '../parallel/protocol.js';

const port = parentPort;
if (!port) throw new Error('gradient-thread.js runs as a worker thread started by createDataParallel');
serveReplica({
  onMessage: (handler) => port.on('message', (m: ToReplica) => handler(m)),
  postMessage: (m) => port.postMessage(m),
  close: () => port.close(),
});
