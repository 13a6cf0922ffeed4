// npm run mutate -- parallel
import { strykerConfig } from './mutation/config.mjs';

// parallel-trainable checks data-parallel gradients equal one replica's; the focused
// mutation-parallel-* files check sharding, columns and the message protocol without workers
export default strykerConfig('parallel', ['parallel-trainable']);
