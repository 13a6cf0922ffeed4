// npm run mutate -- parallel
import { strykerConfig } from './mutation/config.mjs';

// the focused files run the replicas in this thread (test/helpers/in-process-replicas.ts), so a
// mutant of replica.ts is seen and no worker starts: mutation-parallel-parts checks the layouts,
// copies and messages, mutation-parallel-steps DataParallel and the replica loop. (parallel and
// parallel-trainable, on real worker threads, take seconds per mutant and their replicas'
// coverage is not seen.)
export default strykerConfig('parallel', ['mutation-parallel-parts', 'mutation-parallel-steps']);
