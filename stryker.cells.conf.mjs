// npm run mutate -- cells
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('cells', ['rnn-gradcheck', 'rnn-paths', 'lstm', 'gru', 'truncation', 'network-weights', 'lecture']);
