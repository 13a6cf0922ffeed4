// npm run mutate -- cells
import { strykerConfig } from './mutation/config.mjs';

export default strykerConfig('cells', ['rnn-gradcheck', 'rnn-paths', 'lstm', 'gru', 'truncation', 'network-weights', 'lecture', 'mutation-cells-wasm', 'mutation-cells-masks', 'mutation-cells-lecture',
  'mutation-cells-feedback', 'mutation-cells-contracts', 'mutation-cells-bidirectional', 'mutation-cells-input', 'mutation-cells-inspect',
  'mutation-cells-registry']);
