export { CELL_KINDS, type CellKind, type Cell, type CellCache, type CellState, type SequenceInput, type StepMask, type BackwardOptions } from './cell.js';
export { RnnCell } from './rnn.js';
export { registerCell, cellType, type CellType, type LayerConfig } from './registry.js';
