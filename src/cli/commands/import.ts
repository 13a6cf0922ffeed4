/**
 * `rnnkit import <FILE> -o MODEL.rnn`: reads an ONNX file, a safetensors
 * state dict or a TF.js model folder into an rnnkit model file
 * (docs/weights.md, "Models as files").
 */

import { saveCheckpointFile } from '../../node/checkpoint-file.js';
import { MODEL_FORMATS, readModelFormat, detectModelFormat, type ModelFormat } from '../../node/model-formats.js';
import { guardOutput } from '../../node/outputs.js';
import { UsageError, type Command } from '../args.js';

export const importCommand: Command = {
  name: 'import',
  summary: 'read an ONNX, TensorFlow.js or safetensors model into a model file',
  usage: '<file-or-folder> -o MODEL.rnn [options]',
  description: [
    'Reads what "rnnkit export" writes, and models from elsewhere:',
    'onnx: torch.onnx.export of nn.RNN/nn.LSTM/nn.GRU + nn.Linear (stored weights);',
    'tfjs: a folder (or its model.json) saved by model.save, SimpleRNN/LSTM/GRU layers + Dense;',
    'safetensors: a PyTorch state_dict with names weight_ih_l0, …, linear.weight, linear.bias.',
    'The format comes from the name (.onnx, .safetensors, a folder or model.json) unless --format.',
    'Refuses to replace an existing model without --force.',
  ].join('\n'),
  options: [
    { name: 'format', type: 'choice', choices: MODEL_FORMATS, arg: 'FORMAT', help: 'onnx, tfjs or safetensors (default: from the name)' },
    { name: 'out', type: 'string', short: 'o', arg: 'FILE', help: 'model file to write' },
    { name: 'force', type: 'boolean', help: 'replace an existing model' },
  ],
  positionals: [1, 1],
  async run(args, io) {
    const file = args.positionals[0]!;
    const out = args.options.out as string | undefined;
    if (!out) throw new UsageError('-o/--out is required: the model file to write, e.g. model.rnn');
    guardOutput(out, { role: 'model', inputs: [file], force: args.options.force === true, label: 'output' });
    const format = (args.options.format as ModelFormat | undefined) ?? detectModelFormat(file);
    const checkpoint = readModelFormat(file, format);
    await saveCheckpointFile(out, checkpoint);
    const [name, net] = Object.entries(checkpoint.networks)[0]!;
    const c = net.config;
    const summary = { file, format, out, network: name, cell: c.cell, layers: c.layers, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: c.outputSize, meta: checkpoint.meta !== undefined };
    if (args.json) io.out(JSON.stringify(summary) + '\n');
    else io.out(`${format}: wrote ${out} (${c.cell}, ${c.layers} layer(s), D=${c.inputSize}, H=${c.hiddenSize}, K=${c.outputSize}${checkpoint.meta !== undefined ? ', with its metadata' : ''})\n`);
    return 0;
  },
};
