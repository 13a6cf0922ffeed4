/** A float64 network on the JavaScript kernels with every parameter drawn uniformly from [−1, 1]. */

import { jsKernels } from '../../src/core/kernels.js';
import { Rng } from '../../src/core/rng.js';
import { Network, type NetworkOptions } from '../../src/model/network.js';

export function randomNetwork(options: NetworkOptions, seed: number): Network {
  const n = new Network({ dtype: 'float64', kernels: jsKernels, ...options });
  const rng = new Rng(seed);
  for (let i = 0; i < n.params.size; i++) n.params.data[i] = rng.uniform(-1, 1);
  return n;
}
