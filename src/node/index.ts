/**
 * `rnnkit/node`: the Node-only parts of the library (files, bundled
 * datasets). The main entry point stays browser-safe.
 */

export * from './datasets.js';
export { saveCheckpointFile, saveCheckpointFileSync, loadCheckpointFile, loadCheckpointFileSync } from './checkpoint-file.js';
export * from './csv.js';
export * from './outputs.js';
export * from './stdlib-data.js';
export { lockOutput, lockFileOf, checkOutputPath, LockError, type OutputLock, type LockInfo, type LockOptions } from './lock.js';
export { createDataParallel, type NodeDataParallelOptions } from './parallel.js';
