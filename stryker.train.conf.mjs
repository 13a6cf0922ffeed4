// npm run mutate -- train
import { strykerConfig } from './mutation/config.mjs';

// each file well under a second on its own (docs/testing.md, src/train); new files go at the END
// (an incremental file keys test files by their position in this list)
export default strykerConfig('train', ['optimizers', 'clip-schedules', 'fit', 'fit-loop', 'resume', 'core', 'lecture',
  'mutation-train-optimizers', 'mutation-train-clip-schedules', 'mutation-train-fit', 'mutation-train-state',
  'mutation-train-edges', 'mutation-train-fit-edges', 'mutation-train-fit-clock', 'mutation-train-fit-resume', 'mutation-train-fit-stops']);
