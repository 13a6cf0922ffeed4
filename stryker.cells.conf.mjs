// npm run mutate -- cells
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('cells', ['rnn-gradcheck', 'lstm', 'gru', 'truncation', 'network-weights', 'lecture']);
