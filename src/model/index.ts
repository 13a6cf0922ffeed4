export { Network, networkParamSpecs, MAX_NETWORK_BYTES, type NetworkOptions, type NetworkConfig, type SequenceBatch, type GradientResult } from './network.js';
export { LOSSES, type LossKind, type SequenceTarget } from './loss.js';
export { gradientCheck, checkParameters, numericGradient, relativeError, type GradientCheckOptions, type GradientCheckResult, type NetworkGradientCheckResult } from './gradcheck.js';
