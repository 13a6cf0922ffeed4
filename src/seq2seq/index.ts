export { Encoder, type EncoderConfig, type EncoderBackwardOptions } from './encoder.js';
export { Seq2Seq, type Seq2SeqOptions, type Seq2SeqPair, type Seq2SeqBatch } from './model.js';
export { Attention, attentionParamSpecs, ATTENTION_KINDS, type AttentionKind, type AttentionConfig, type AttentionRows } from './attention.js';
export { decode, type Seq2SeqDecodeOptions, type Seq2SeqDecoded, type Seq2SeqHypothesis } from './decode.js';
