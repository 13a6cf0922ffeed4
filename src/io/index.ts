export { exportKeras, importKeras, kerasLayerWeights, kerasWeightSpecs, type KerasWeight, type KerasWeightInput, type KerasOptions, type KerasWeightSpec, type KerasKind } from './keras.js';
export { exportPyTorch, importPyTorch, pyTorchWeightSpecs, type TorchTensor, type TorchStateDict, type TorchTensorInput, type PyTorchOptions, type TorchWeightSpec, type TorchKind } from './pytorch.js';
export { type TensorValues } from './layout.js';
export { encodeCheckpoint, decodeCheckpoint, readCheckpointHeader, CHECKPOINT_VERSION, CHECKPOINT_MAGIC, type Checkpoint, type CheckpointHeader, type HeaderParam, type DecodeOptions } from './checkpoint.js';
export { crc32 } from './crc32.js';
export { encodeModel, decodeModel, readModelKind, networksOf, paramSetsOf, MODEL_KINDS, type ModelKind, type SavedModel, type ModelFile, type ModelMeta, type EncodeModelOptions } from './model-file.js';
