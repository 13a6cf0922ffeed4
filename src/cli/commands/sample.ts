/**
 * `rnnkit sample <model-file>`: generates text from a trained text model,
 * writing each character (or word) to stdout as soon as it is drawn.
 */

import { loadCheckpointFile } from '../../node/checkpoint-file.js';
import { readTextModel } from '../../text/model-file.js';
import { generate, sampleText } from '../../text/sample.js';
import { UsageError, type Command } from '../args.js';

/** Symbols drawn between two turns of the event loop. */
const YIELD_EVERY = 4096;

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'generate text from a model trained with "rnnkit train"',
  usage: '<model-file> [options]',
  description: [
    'Feeds --prime to the model, then draws one symbol at a time from its output',
    'distribution and feeds it back. --temperature below 1 makes the text safer, above 1',
    'wilder; --top-k and --top-p keep only the most likely symbols; --greedy always takes',
    'the most likely one. The same --seed gives the same text.',
  ].join('\n'),
  options: [
    { name: 'prime', type: 'string', short: 'p', default: '', arg: 'TEXT', help: 'text to start from (not repeated in the output unless --echo)' },
    { name: 'length', type: 'int', short: 'n', min: 0, max: 10_000_000, default: 500, arg: 'N', help: 'symbols to generate' },
    { name: 'temperature', type: 'number', short: 't', min: 0, default: 1, arg: 'τ', help: 'sampling temperature (0 = greedy)' },
    { name: 'top-k', type: 'int', min: 1, arg: 'K', help: 'draw only from the K most likely symbols' },
    { name: 'top-p', type: 'number', min: 0, exclusiveMin: true, max: 1, arg: 'P', help: 'draw only from the most likely symbols totalling probability P' },
    { name: 'greedy', type: 'boolean', help: 'always take the most likely symbol' },
    { name: 'seed', type: 'int', min: 0, max: 4294967295, default: 1, arg: 'S', help: 'random seed' },
    { name: 'echo', type: 'boolean', help: 'print the prime before the generated text' },
  ],
  positionals: [1, 1],
  async run(args, io) {
    const o = args.options;
    const file = args.positionals[0]!;
    if (o.greedy && (o['top-k'] !== undefined || o['top-p'] !== undefined)) {
      throw new UsageError('--greedy takes the most likely symbol: leave out --top-k and --top-p');
    }
    const { net, tokenizer } = readTextModel(await loadCheckpointFile(file), file);
    const prime = String(o.prime);
    const sampling = {
      prime,
      length: Number(o.length),
      temperature: Number(o.temperature),
      seed: Number(o.seed),
      ...(o['top-k'] !== undefined ? { topK: Number(o['top-k']) } : {}),
      ...(o['top-p'] !== undefined ? { topP: Number(o['top-p']) } : {}),
      ...(o.greedy ? { greedy: true } : {}),
    };
    if (args.json) {
      const text = generate(net, tokenizer, sampling);
      io.out(JSON.stringify({ model: file, ...sampling, text }) + '\n');
      return 0;
    }
    if (o.echo) io.out(prime);
    // Every few thousand symbols the event loop gets a turn, so a reader that has gone
    // (`… | head -c 80`: EPIPE) ends the process now, not after the whole --length.
    let drawn = 0;
    for (const piece of sampleText(net, tokenizer, sampling)) {
      io.out(piece);
      if (++drawn % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    io.out('\n');
    return 0;
  },
};
