/**
 * `rnnkit`: recurrent neural networks (RNN, LSTM, GRU) trained by exact
 * backpropagation through time. This entry point uses no Node-only API, so
 * it runs unchanged in a browser; file and process concerns live in
 * `rnnkit/node` and the CLI.
 */

export * from './core/index.js';
export * from './kernels/index.js';
export * from './cells/index.js';
export * from './model/index.js';
export * from './train/index.js';
export * from './parallel/index.js';
export * from './data/index.js';
export * from './lecture/index.js';
export * from './io/index.js';
export * from './text/index.js';
export * from './seq2seq/index.js';
export * from './tasks/index.js';
