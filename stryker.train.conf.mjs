// npm run mutate -- train
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('train', ['optimizers', 'clip-schedules', 'fit', 'fit-loop', 'resume', 'core', 'lecture',
  'mutation-train-optimizers', 'mutation-train-clip-schedules', 'mutation-train-fit', 'mutation-train-state']);
