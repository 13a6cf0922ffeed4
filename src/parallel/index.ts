export { DataParallel, MIN_SEQUENCES_PER_THREAD, threadsFor, type DataParallelOptions, type ParallelModel, type ReplicaPort, type SpawnReplica } from './data-parallel.js';
export { serveReplica, type ReplicaEndpoint } from './replica.js';
export type { ToReplica, FromReplica } from './protocol.js';
