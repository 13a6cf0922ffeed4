/**
 * A text model in a model file (src/io/model-file.ts, kind `text`): the
 * network under the name `model` and its vocabulary in `meta`, so that the
 * file alone is enough to encode a prime and decode what the model writes.
 * These two helpers serve callers that build the checkpoint themselves
 * (the `train` command, the playground); `encodeModel`/`decodeModel` do the
 * same for every kind.
 */

import { FormatError } from '../core/errors.js';
import type { Network } from '../model/network.js';
import { Tokenizer, type TokenizerJSON } from './tokenizer.js';

/** The `meta` of a text model's file. */
export interface TextModelMeta {
  readonly kind: 'text';
  readonly tokenizer: TokenizerJSON;
}

/** The `meta` to store with a text model. */
export function textModelMeta(tokenizer: Tokenizer): TextModelMeta {
  return { kind: 'text', tokenizer: tokenizer.toJSON() };
}

/**
 * The network and vocabulary of a decoded checkpoint; `what` names the file
 * in errors. Reads files written before the model kinds (`kind:
 * "text-model"`) too. Throws a {@link FormatError} when it is not a text model.
 */
export function readTextModel(checkpoint: { readonly networks: Readonly<Record<string, Network>>; readonly meta?: unknown }, what = 'the model file'): { net: Network; tokenizer: Tokenizer } {
  const net = checkpoint.networks.model;
  const meta = checkpoint.meta as { kind?: unknown; tokenizer?: unknown } | undefined;
  const kind = meta && typeof meta === 'object' ? meta.kind : undefined;
  if (!net || (kind !== 'text' && kind !== 'text-model')) {
    // a text model's meta without its network is a broken text model, not a model of another kind
    const otherKind = typeof kind === 'string' && kind !== 'text' && kind !== 'text-model';
    const other = otherKind ? ` but a ${kind} model; use "rnnkit predict"` : ' (no network "model" with a vocabulary); train one with "rnnkit train"';
    throw new FormatError(`${what} is not a text model${other}`);
  }
  const tokenizer = Tokenizer.fromJSON(meta!.tokenizer);
  const c = net.config;
  if (c.inputSize !== tokenizer.vocabSize || c.outputSize !== tokenizer.vocabSize || c.outputActivation !== 'softmax') {
    throw new FormatError(`${what}: the vocabulary has ${tokenizer.vocabSize} symbols but the network maps ${c.inputSize} inputs to ${c.outputSize} ${c.outputActivation} outputs`);
  }
  return { net, tokenizer };
}
