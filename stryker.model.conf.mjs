// npm run mutate -- model
import { strykerConfig } from './mutation/config.mjs';

// the fast files that reach src/model (each well under a second alone): the four mutation-model-*
// files were written for this run; rnn-paths, network-weights and the cells' masks and feedback
// files add masked batches, argmax feedback and caller-given δo through the network
export default strykerConfig('model', ['mutation-model-contracts', 'mutation-model-outputs', 'mutation-model-truncation', 'mutation-model-parts',
  'rnn-paths', 'network-weights', 'mutation-cells-masks', 'mutation-cells-feedback']);
