// npm run mutate -- train
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('train', ['optimizers', 'clip-schedules', 'fit', 'fit-loop', 'resume', 'core', 'lecture']);
