export { DataParallel, type DataParallelOptions, type ReplicaPort, type SpawnReplica } from './data-parallel.js';
export { serveReplica, type ReplicaEndpoint } from './replica.js';
export type { ToReplica, FromReplica } from './protocol.js';
