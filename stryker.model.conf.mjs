// npm run mutate -- model
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('model', ['rnn-gradcheck', 'rnn-paths', 'lstm', 'gru', 'truncation', 'network-weights', 'lecture', 'batching', 'core']);
