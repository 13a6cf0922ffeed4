/**
 * Model files: the library's checkpoint format (src/io/checkpoint.ts), laid
 * out as the CLI lays out a text model (src/text/model-file.ts: the network
 * under the name `model`, the vocabulary in `meta`), plus the training state
 * (src/train/fit-state.ts) so that training resumes exactly.
 */

import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';
import type { Network } from '../../src/model/network.js';
import { readTextModel, textModelMeta } from '../../src/text/model-file.js';
import type { Tokenizer } from '../../src/text/tokenizer.js';
import { fitStateFromCheckpoint, fitStateToCheckpoint } from '../../src/train/fit-state.js';
import type { FitState } from '../../src/train/fit-types.js';

/** What a saved text model holds. */
export interface TextModel {
  readonly net: Network;
  readonly tokenizer: Tokenizer;
  /** Present when the file was saved during training. */
  readonly state?: FitState;
}

/** Checkpoint bytes of a text model, with the training state when given. */
export function encodeTextModel(net: Network, tokenizer: Tokenizer, state?: FitState): Uint8Array {
  return encodeCheckpoint({ networks: { model: net }, meta: textModelMeta(tokenizer), ...(state ? fitStateToCheckpoint(state) : {}) });
}

/** Reads a text model (and its training state, if saved) from checkpoint bytes. */
export function decodeTextModel(bytes: ArrayBuffer | Uint8Array, fileName: string): TextModel {
  const c = decodeCheckpoint(bytes);
  const { net, tokenizer } = readTextModel(c, fileName);
  const state = c.step !== undefined && c.rngState !== undefined && c.optimizer !== undefined ? fitStateFromCheckpoint(c, net.config.dtype) : undefined;
  return { net, tokenizer, ...(state ? { state } : {}) };
}
