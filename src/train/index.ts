export { gradientDescent, type GradientDescentOptions, type GradientDescentResult } from './gradient-descent.js';
export { createOptimizer, resolveOptimizerOptions, optimizerSlotNames, OPTIMIZER_KINDS, type Optimizer, type OptimizerKind, type OptimizerOptions, type OptimizerState } from './optimizers.js';
export { learningRate, checkSchedule, SCHEDULE_KINDS, type Schedule, type ConstantSchedule, type StepSchedule, type CosineSchedule, type EpochDecaySchedule, type LinearSchedule, type WarmupOption } from './schedules.js';
export { gradientNorm, clipByGlobalNorm, clipByValue, findNonFinite, checkFinite, type NonFiniteValue } from './clip.js';
export { fit, uniformLoss } from './fit.js';
export { evaluate, evaluateTrainable, StateCarry } from './evaluate.js';
export type { FitOptions, FitResult, FitState, FitHistory, StepRecord, EpochRecord, ValidationRecord, StopReason, BestPoint, LossHistory, DivergenceOptions } from './fit-types.js';
export type { Trainable } from './trainable.js';
export { fitStateToCheckpoint, fitStateFromCheckpoint, type FitCheckpointFields, type FitExtra } from './fit-state.js';
