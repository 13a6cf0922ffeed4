/**
 * `rnnkit export <model.rnn> --format onnx|tfjs|safetensors -o OUT`: writes
 * a model for other frameworks (docs/weights.md, "Models as files").
 */

import { loadCheckpointFile } from '../../node/checkpoint-file.js';
import { MODEL_FORMATS, writeModelFormat, type ModelFormat } from '../../node/model-formats.js';
import { UsageError, type Command } from '../args.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model as ONNX, TensorFlow.js or safetensors',
  usage: '<model-file> --format onnx|tfjs|safetensors -o OUT [options]',
  description: [
    'onnx: one .onnx file (opset 14, standard RNN/LSTM/GRU operators) for ONNX Runtime;',
    'inputs x [T, B, D], h0 [L, B, H] (and c0 for an LSTM), outputs y, hT (and cT).',
    'tfjs: a folder with model.json and weights.bin for tf.loadLayersModel; [B, T, D] → [B, T, K].',
    'safetensors: PyTorch state_dict names (weight_ih_l0, …, linear.weight, linear.bias), float32.',
    'The vocabulary and task metadata travel with the model; "rnnkit import" restores them.',
    'An existing output is replaced only with --force.',
  ].join('\n'),
  options: [
    { name: 'format', type: 'choice', choices: MODEL_FORMATS, arg: 'FORMAT', help: 'onnx, tfjs or safetensors' },
    { name: 'out', type: 'string', short: 'o', arg: 'OUT', help: 'file to write (a folder for tfjs)' },
    { name: 'force', type: 'boolean', help: 'replace an existing output' },
  ],
  positionals: [1, 1],
  async run(args, io) {
    const file = args.positionals[0]!;
    const format = args.options.format as ModelFormat | undefined;
    const out = args.options.out as string | undefined;
    if (!format) throw new UsageError(`--format is required: one of ${MODEL_FORMATS.join(', ')}`);
    if (!out) throw new UsageError('-o/--out is required: the file (or, for tfjs, the folder) to write');
    const checkpoint = await loadCheckpointFile(file);
    const written = await writeModelFormat(checkpoint, format, out, { force: args.options.force === true, inputs: [file] });
    if (args.json) io.out(JSON.stringify({ model: file, format, out, files: written }) + '\n');
    else io.out(`${format}: wrote ${written.join(', ')}\n`);
    return 0;
  },
};
