// npm run mutate -- model
import { strykerConfig } from './mutation/config.mjs';

// the fast files that reach src/model (each well under a second alone): the mutation-model-*
// files were written for these runs; rnn-paths, network-weights and the cells' masks and feedback
// files add masked batches, argmax feedback and caller-given δo through the network. New files go
// at the END of the list (docs/testing.md: the incremental file keys test files by their place)
export default strykerConfig('model', ['mutation-model-contracts', 'mutation-model-outputs', 'mutation-model-truncation', 'mutation-model-parts',
  'rnn-paths', 'network-weights', 'mutation-cells-masks', 'mutation-cells-feedback', 'mutation-model-network', 'mutation-model-backward']);
