// npm run mutate -- seq2seq
import { strykerConfig } from './mutation/config.mjs';

// beam and nbest check decoding against exhaustive search in well under a second; the focused
// mutation-seq2seq-* files cover the encoder, attention and the model's forward and backward
// (seq2seq and attention train whole models for seconds, too slow for a run)
export default strykerConfig('seq2seq', ['beam', 'nbest']);
