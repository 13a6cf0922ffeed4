export { RecurrentError, ShapeError, OptionError, TrainingError, FormatError } from './errors.js';
export { allocate, toRows, fromRows, type Float, type DType } from './tensor.js';
export { jsKernels, getKernels, setKernels, type Kernels } from './kernels.js';
export { Rng } from './rng.js';
export { HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS, sigmoid, type HiddenActivation, type OutputActivation } from './activations.js';
export { ParamSet, type ParamSpec, type ParamEntry, type InitKind } from './params.js';
export { initUniform, initGlorot, initOrthogonal, initParams } from './init.js';
