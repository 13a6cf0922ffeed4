// npm run mutate -- cells
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('cells', ['rnn-gradcheck', 'rnn-paths', 'lstm', 'gru', 'truncation', 'network-weights', 'lecture', 'mutation-cells-wasm', 'mutation-cells-masks', 'mutation-cells-lecture',
  'mutation-cells-feedback', 'mutation-cells-contracts']);
