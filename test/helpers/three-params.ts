import { ParamSet } from '../../src/core/params.js';

/** Three float64 parameters of different shapes, all zero: a (2×2) at 0..3, b (1×3) at 4..6, c (3×1) at 7..9. */
export function threeParams(): ParamSet {
  return new ParamSet([
    { name: 'a', rows: 2, cols: 2, init: 'zeros' },
    { name: 'b', rows: 1, cols: 3, init: 'zeros' },
    { name: 'c', rows: 3, cols: 1, init: 'zeros' },
  ], 'float64');
}
