// npm run mutate -- seq2seq
import { strykerConfig } from './mutation/config.mjs';

// the focused mutation-seq2seq-* files check the attention layer, the encoder, the model's loss and
// gradient and decoding against references computed in the test, each in well under a second;
// beam and nbest check decoding against exhaustive search (seq2seq and attention train whole
// models for seconds, too slow for a run)
export default strykerConfig('seq2seq', [
  'mutation-seq2seq-attention', 'mutation-seq2seq-encoder', 'mutation-seq2seq-model', 'mutation-seq2seq-decode', 'beam', 'nbest',
]);
