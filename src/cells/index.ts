export { CELL_KINDS, type CellKind, type Cell, type CellCache, type CellState, type SequenceInput, type StepMask, type BackwardOptions } from './cell.js';
export { RnnCell } from './rnn.js';
export { registerCell, cellType, type CellType, type LayerConfig } from './registry.js';
export { LstmCell, lstmParamSpecs, DEFAULT_FORGET_BIAS, type LstmCache, type LstmBackwardOptions, type LstmSpecConfig } from './lstm.js';
export { GruCell, gruParamSpecs, gruVariant, GRU_VARIANTS, type GruVariant, type GruCache, type GruCellConfig } from './gru.js';
export { traceLayer, isGatedCell, stateStats, SATURATION, type GatedCell, type LayerTrace, type StateStats, type StepValues } from './inspect.js';
export { BidirectionalCell, type BidirectionalCache } from './bidirectional.js';
