// npm run mutate -- io
import { strykerConfig } from './mutation/config.mjs';

// the fast round trips of every format; export-onnx and the fuzzers take longer, and the
// focused mutation-io-* files check layouts, headers and refusals byte for byte
export default strykerConfig('io', ['model-file', 'checkpoint', 'export-safetensors', 'weights-pytorch', 'weights-keras', 'export-tfjs']);
