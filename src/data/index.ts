export { sequenceSet, subsetOf, type SequencePair, type SequenceSet, type SequenceSetOptions } from './sequences.js';
export { SequenceBatches, type SequenceBatchesOptions } from './batches.js';
export { StreamBatches, symbolStream, alignedStream, type Stream, type StreamBatchesOptions } from './windows.js';
export { splitStream, splitSequences, type Split, type SplitOptions } from './split.js';
export { allocateBatch, type BatchSource, type LoadedBatch, type ReusableBatch, type BatchBuffers, type BufferShape } from './source.js';
export { BatchList, type BatchListOptions } from './list.js';
export { WindowBatches, type WindowBatchesOptions } from './series-windows.js';
export { PairBatches, type PairBatchesOptions } from './pairs.js';
