import { ParamSet } from '../../src/core/params.js';
import type { Trainable } from '../../src/train/trainable.js';

/** A batch of {@link Quad}: the centre c (default (1, 2)), or (for `loss`) a fixed J per value; `nan` spoils ∂J/∂θ₁. */
export interface QuadBatch {
  readonly c?: readonly number[];
  readonly fixed?: number;
  readonly nan?: boolean;
}

/**
 * J = Σᵢ (θᵢ − cᵢ)² over two parameters (count 2): a trainable whose every
 * update and loss is known by hand. `onGradient` is called with each batch
 * before its gradient (a test's fake clock advances there).
 */
export class Quad<B extends QuadBatch = QuadBatch> implements Trainable<B> {
  readonly paramSets = [new ParamSet([{ name: 'w', rows: 1, cols: 2, init: 'zeros' }], 'float64')];
  readonly dtype = 'float64' as const;

  constructor(private readonly onGradient: (batch: B) => void = () => {}) {}

  get theta(): number[] {
    return Array.from(this.paramSets[0]!.data);
  }

  gradient(batch: B): { loss: number; count: number } {
    this.onGradient(batch);
    const p = this.paramSets[0]!;
    const c = batch.c ?? [1, 2];
    let J = 0;
    for (let i = 0; i < 2; i++) {
      J += (p.data[i]! - c[i]!) ** 2;
      p.grad[i]! += 2 * (p.data[i]! - c[i]!);
    }
    if (batch.nan) p.grad[1] = NaN;
    return { loss: J, count: 2 };
  }

  loss(batch: B): { loss: number; count: number } {
    if (batch.fixed !== undefined) return { loss: 2 * batch.fixed, count: 2 };
    const d = this.paramSets[0]!.data;
    const c = batch.c ?? [1, 2];
    return { loss: (d[0]! - c[0]!) ** 2 + (d[1]! - c[1]!) ** 2, count: 2 };
  }
}
