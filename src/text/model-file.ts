/**
 * A text model as stored in a checkpoint: the network under the name
 * `model`, and its vocabulary in the checkpoint's `meta`, so that a model
 * file alone is enough to encode a prime and decode what the model writes.
 */

import { FormatError } from '../core/errors.js';
import type { Network } from '../model/network.js';
import { Tokenizer, type TokenizerJSON } from './tokenizer.js';

/** The `meta` of a text model's checkpoint. */
export interface TextModelMeta {
  readonly kind: 'text-model';
  readonly tokenizer: TokenizerJSON;
}

/** The `meta` to store with a text model. */
export function textModelMeta(tokenizer: Tokenizer): TextModelMeta {
  return { kind: 'text-model', tokenizer: tokenizer.toJSON() };
}

/**
 * The network and vocabulary of a decoded checkpoint; `what` names the file
 * in errors. Throws a {@link FormatError} when it is not a text model.
 */
export function readTextModel(checkpoint: { readonly networks: Readonly<Record<string, Network>>; readonly meta?: unknown }, what = 'the model file'): { net: Network; tokenizer: Tokenizer } {
  const net = checkpoint.networks.model;
  const meta = checkpoint.meta as Partial<TextModelMeta> | undefined;
  if (!net || !meta || typeof meta !== 'object' || meta.kind !== 'text-model') {
    throw new FormatError(`${what} is not a text model (no network "model" with a vocabulary); train one with "rnnkit train"`);
  }
  const tokenizer = Tokenizer.fromJSON(meta.tokenizer);
  const c = net.config;
  if (c.inputSize !== tokenizer.vocabSize || c.outputSize !== tokenizer.vocabSize || c.outputActivation !== 'softmax') {
    throw new FormatError(`${what}: the vocabulary has ${tokenizer.vocabSize} symbols but the network maps ${c.inputSize} inputs to ${c.outputSize} ${c.outputActivation} outputs`);
  }
  return { net, tokenizer };
}
