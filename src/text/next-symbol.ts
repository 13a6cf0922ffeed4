/**
 * What a text model expects next: the softmax output after reading a
 * prime, ŷ(T) = p(s(T+1) | s(1..T)), as (symbol, probability) pairs — the
 * text model's answer to `predict` (sampling from it is `generate`).
 */

import { expectPositiveInt, OptionError } from '../core/errors.js';
import type { Network } from '../model/network.js';
import type { Tokenizer } from './tokenizer.js';

/** One candidate next symbol. */
export interface NextSymbol {
  readonly symbol: string;
  readonly probability: number;
}

/**
 * The `top` most probable next symbols after `prime` (most probable first;
 * ties by symbol index), from one forward pass over the prime's symbols
 * (unknown ones read as the unknown symbol). Throws an OptionError for an
 * empty prime.
 *
 * @example nextSymbols(net, tokenizer, 'Call me Ishmae', 3) // [{ symbol: 'l', probability: 0.93 }, …]
 */
export function nextSymbols(net: Network, tokenizer: Tokenizer, prime: string, top = 10): NextSymbol[] {
  expectPositiveInt('top', top);
  const ids = tokenizer.encode(prime);
  if (ids.length === 0) throw new OptionError('the prime is empty: give the text the model should continue');
  const T = ids.length;
  const K = net.config.outputSize;
  if (K !== tokenizer.vocabSize) throw new OptionError(`the network has ${K} outputs but the vocabulary ${tokenizer.vocabSize} symbols`);
  const yhat = net.forward({ T, B: 1, x: { kind: 'index', data: ids }, y: { kind: 'index', data: new Int32Array(T).fill(-1) } });
  const last = yhat.subarray((T - 1) * K, T * K);
  const order = Array.from({ length: K }, (_, k) => k).sort((a, b) => last[b]! - last[a]! || a - b);
  return order.slice(0, Math.min(top, K)).map((k) => ({ symbol: tokenizer.symbols[k]!, probability: last[k]! }));
}
