// npm run mutate -- model
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('model', ['rnn-gradcheck', 'rnn-paths', 'lstm', 'gru', 'truncation', 'network-weights', 'lecture', 'batching', 'core',
  'mutation-cells-wasm', 'mutation-cells-masks', 'mutation-cells-feedback', 'mutation-cells-contracts']);
