/**
 * The character model of the Train page: the library's Network with symbol
 * input (one-hot as a row gather), softmax over the vocabulary and
 * cross-entropy, float32.
 */

import { Network } from '../../src/model/network.js';
import type { CellKind } from '../../src/cells/cell.js';

/** What the page lets a user choose about the model. */
export interface ModelSettings {
  readonly cell: CellKind;
  readonly hiddenSize: number;
  readonly layers: number;
}

/** D = K = vocabSize. */
export function charNetwork(settings: ModelSettings, vocabSize: number, seed = 1): Network {
  return new Network({
    cell: settings.cell, inputSize: vocabSize, hiddenSize: settings.hiddenSize, outputSize: vocabSize,
    layers: settings.layers, loss: 'cross-entropy', dtype: 'float32', seed,
  });
}

/** The page's settings read back from a network's configuration. */
export function modelSettingsOf(net: Network): ModelSettings {
  return { cell: net.config.cell, hiddenSize: net.config.hiddenSize, layers: net.config.layers };
}
