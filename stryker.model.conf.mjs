// npm run mutate -- model
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('model', ['rnn-gradcheck', 'lstm', 'gru', 'truncation', 'truncation-stack', 'network-weights', 'lecture', 'batching', 'core']);
