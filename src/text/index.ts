export { Tokenizer, buildTokenizer, splitText, TOKEN_KINDS, UNKNOWN_SYMBOL, DEFAULT_WORD_VOCAB_SIZE, type TokenKind, type TokenizerOptions, type TokenizerJSON } from './tokenizer.js';
export { sampleIndex, argmax, checkSamplingOptions, SymbolStream, generate, sampleText, startSymbol, type SamplingOptions, type GenerateOptions } from './sample.js';
export { prepareCorpus, splitTail, normalizeText, MIN_TRAIN_SYMBOLS, UNKNOWN_WARN_SHARE, unknownShare, type Corpus, type CorpusOptions } from './corpus.js';
export { textBatches, evaluateText, validationBatches, VALIDATION_SEQ_LEN, type TextWindows, type EvaluationWindows } from './batches.js';
export { textModelMeta, readTextModel, type TextModelMeta } from './model-file.js';
export { nextSymbols, type NextSymbol } from './next-symbol.js';
