/**
 * Multiplicative ("general", Luong et al. 2015) attention of a decoder over
 * the encoder's states, and its exact gradient. For decoder row r (step t of
 * sequence b) with top state s(r) (1×H) and encoder states e(j) (1×S) of
 * source b, j = 1..T_s:
 *
 *   score(r, j) = s(r)·W_a·e(j)ᵀ          (W_a: H×S; padded source steps: −∞)
 *   α(r, ·)     = softmax_j score(r, ·)
 *   c(r)        = Σ_j α(r, j)·e(j)         (the context, 1×S)
 *   h̃(r)        = tanh([c(r) | s(r)]·W_c + b_c)   (W_c: (S+H)×H)
 *
 * and h̃ replaces s as what the output layer reads: ŷ = softmax(h̃·V + b_o).
 *
 * Backward, from δh̃ = ∂J/∂h̃:
 *
 *   δz = δh̃ ∘ (1 − h̃²);  ∂J/∂W_c = [c | s]ᵀ·δz;  ∂J/∂b_c = Σ δz;  [δc | δs] = δz·W_cᵀ
 *   δα(r, j) = δc(r)·e(j)ᵀ;  δscore(r, j) = α(r, j)·(δα(r, j) − Σ_k α(r, k)·δα(r, k))
 *   p(r) = s(r)·W_a;  δp(r) = Σ_j δscore(r, j)·e(j);  ∂J/∂W_a = sᵀ·δp;  δs += δp·W_aᵀ
 *   δe(j) = Σ_r [α(r, j)·δc(r) + δscore(r, j)·p(r)]     (over the rows reading source b)
 */

import { initParams } from '../core/init.js';
import type { Kernels } from '../core/kernels.js';
import { ParamSet, type ParamSpec } from '../core/params.js';
import { Rng } from '../core/rng.js';
import { allocate, type DType, type Float } from '../core/tensor.js';
import type { StepMask } from '../cells/cell.js';

/** The attention kinds a {@link Seq2Seq} offers: none, or multiplicative (Luong's "general" score). */
export const ATTENTION_KINDS = ['none', 'luong'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

/** Sizes of an {@link Attention} layer. */
export interface AttentionConfig {
  /** Width H of the decoder's state (the query). */
  readonly queryWidth: number;
  /** Width S of an encoder state (the memory): H, or 2H for a bidirectional encoder. */
  readonly memoryWidth: number;
  readonly bias: boolean;
  readonly dtype: DType;
}

/** The parameters: W_a (H×S), W_c ((S+H)×H), b_c (1×H). */
export function attentionParamSpecs(c: AttentionConfig): ParamSpec[] {
  const { queryWidth: H, memoryWidth: S } = c;
  const specs: ParamSpec[] = [
    { name: 'attention.W_a', rows: H, cols: S, init: 'glorot' },
    { name: 'attention.W_c', rows: S + H, cols: H, init: 'glorot' },
  ];
  if (c.bias) specs.push({ name: 'attention.b_c', rows: 1, cols: H, init: 'zeros' });
  return specs;
}

/**
 * Where the rows read their memory: row r of the queries attends over
 * source `source[r]` of the encoder's B_s sequences (e(j) of source b is row
 * j·B_s + b of the T_s×B_s×S memory).
 */
export interface AttentionRows {
  readonly rows: number;
  readonly source: Int32Array;
}

interface Workspace {
  /** Capacity: rows and source steps. */
  rows: number;
  capTs: number;
  /** Source steps of the current pass (α's row stride). */
  Ts: number;
  /** p = s·W_a, rows×S. */
  p: Float;
  /** α, rows×T_s. */
  alpha: Float;
  /** [c | s], rows×(S+H). */
  cat: Float;
  /** h̃, rows×H. */
  out: Float;
  /** δz, then [δc | δs] (rows×(S+H)), δp (rows×S), δα (T_s). */
  dz: Float;
  dCat: Float;
  dP: Float;
  dAlpha: Float;
}

/** One attention layer with its parameters (its own {@link ParamSet}). */
export class Attention {
  readonly config: AttentionConfig;
  readonly params: ParamSet;
  readonly W_a: Float;
  readonly W_c: Float;
  readonly b_c: Float | null;
  readonly dW_a: Float;
  readonly dW_c: Float;
  readonly db_c: Float | null;
  private ws: Workspace | null = null;
  private last: { memory: Float; Bs: number; mask: StepMask | undefined; query: Float; at: AttentionRows } | null = null;

  constructor(config: AttentionConfig, seed: number, readonly kernels: Kernels) {
    this.config = config;
    this.params = new ParamSet(attentionParamSpecs(config), config.dtype);
    initParams(this.params, new Rng(seed));
    this.W_a = this.params.view('attention.W_a');
    this.W_c = this.params.view('attention.W_c');
    this.dW_a = this.params.gradView('attention.W_a');
    this.dW_c = this.params.gradView('attention.W_c');
    this.b_c = config.bias ? this.params.view('attention.b_c') : null;
    this.db_c = config.bias ? this.params.gradView('attention.b_c') : null;
  }

  /**
   * h̃ for every query row (rows×H, a view valid until the next call):
   * `memory` is T_s×B_s×S, `mask` T_s×B_s (absent: all valid), `query` rows×H.
   */
  forward(memory: Float, Ts: number, Bs: number, mask: StepMask | undefined, query: Float, at: AttentionRows): Float {
    const { queryWidth: H, memoryWidth: S } = this.config;
    const R = at.rows;
    const ws = this.workspace(R, Ts);
    const k = this.kernels;
    // p = s·W_a
    k.gemm(false, false, R, S, H, query, 0, H, this.W_a, 0, S, ws.p, 0, S, false);
    for (let r = 0; r < R; r++) {
      const b = at.source[r]!;
      const a = r * Ts;
      // score(r, j) = p(r)·e(j)ᵀ, −∞ on padding; α = softmax over j
      let max = -Infinity;
      for (let j = 0; j < Ts; j++) {
        if (mask && !mask[j * Bs + b]) {
          ws.alpha[a + j] = -Infinity;
          continue;
        }
        const e = (j * Bs + b) * S;
        let score = 0;
        for (let i = 0; i < S; i++) score += ws.p[r * S + i]! * memory[e + i]!;
        ws.alpha[a + j] = score;
        if (score > max) max = score;
      }
      let sum = 0;
      for (let j = 0; j < Ts; j++) {
        const v = ws.alpha[a + j] === -Infinity ? 0 : Math.exp(ws.alpha[a + j]! - max);
        ws.alpha[a + j] = v;
        sum += v;
      }
      // c(r) = Σ_j α(r, j)·e(j), into the left part of [c | s]
      const c = r * (S + H);
      ws.cat.fill(0, c, c + S);
      for (let j = 0; j < Ts; j++) {
        const w = (ws.alpha[a + j]! /= sum);
        if (w === 0) continue;
        const e = (j * Bs + b) * S;
        for (let i = 0; i < S; i++) ws.cat[c + i]! += w * memory[e + i]!;
      }
      ws.cat.set(query.subarray(r * H, (r + 1) * H), c + S);
    }
    // h̃ = tanh([c | s]·W_c + b_c)
    k.gemm(false, false, R, H, S + H, ws.cat, 0, S + H, this.W_c, 0, H, ws.out, 0, H, false);
    if (this.b_c) k.addRowVector(R, H, ws.out, 0, H, this.b_c, 0);
    for (let i = 0; i < R * H; i++) ws.out[i] = Math.tanh(ws.out[i]!);
    this.last = { memory, Bs, mask, query, at };
    return ws.out.subarray(0, R * H);
  }

  /** α of the last {@link forward}: row r's weights over the T_s source steps at offset r·T_s. */
  weights(): Float {
    if (!this.ws || !this.last) throw new Error('Attention.weights: run forward first');
    return this.ws.alpha.subarray(0, this.last.at.rows * this.ws.Ts);
  }

  /**
   * BPTT through the last {@link forward} from δh̃ (`dOut`, rows×H). Writes
   * ∂J/∂s into `dQuery` (rows×H) and ADDS ∂J/∂e into `dMemory` (T_s×B_s×S);
   * parameter gradients are ADDED to `params.grad`.
   */
  backward(dOut: Float, dQuery: Float, dMemory: Float): void {
    const last = this.last;
    const ws = this.ws;
    if (!last || !ws) throw new Error('Attention.backward: run forward first');
    const { queryWidth: H, memoryWidth: S } = this.config;
    const { memory, Bs, at, query } = last;
    const R = at.rows;
    const Ts = ws.Ts;
    const k = this.kernels;
    // δz = δh̃ ∘ (1 − h̃²); ∂J/∂W_c += [c | s]ᵀ·δz; ∂J/∂b_c += Σ δz; [δc | δs] = δz·W_cᵀ
    for (let i = 0; i < R * H; i++) ws.dz[i] = dOut[i]! * (1 - ws.out[i]! * ws.out[i]!);
    k.gemm(true, false, S + H, H, R, ws.cat, 0, S + H, ws.dz, 0, H, this.dW_c, 0, H, true);
    if (this.db_c) k.sumRowsInto(R, H, ws.dz, 0, H, this.db_c, 0);
    k.gemm(false, true, R, S + H, H, ws.dz, 0, H, this.W_c, 0, H, ws.dCat, 0, S + H, false);
    for (let r = 0; r < R; r++) {
      const b = at.source[r]!;
      const a = r * Ts;
      const c = r * (S + H);
      // δs, the direct part
      dQuery.set(ws.dCat.subarray(c + S, c + S + H), r * H);
      // δα(r, j) = δc(r)·e(j)ᵀ, and δe(j) += α(r, j)·δc(r)
      let mean = 0;
      for (let j = 0; j < Ts; j++) {
        const w = ws.alpha[a + j]!;
        if (w === 0) {
          ws.dAlpha[j] = 0;
          continue;
        }
        const e = (j * Bs + b) * S;
        let d = 0;
        for (let i = 0; i < S; i++) {
          d += ws.dCat[c + i]! * memory[e + i]!;
          dMemory[e + i]! += w * ws.dCat[c + i]!;
        }
        ws.dAlpha[j] = d;
        mean += w * d;
      }
      // δscore = α ∘ (δα − Σ α·δα); δp(r) = Σ_j δscore·e(j); δe(j) += δscore·p(r)
      ws.dP.fill(0, r * S, (r + 1) * S);
      for (let j = 0; j < Ts; j++) {
        const w = ws.alpha[a + j]!;
        if (w === 0) continue;
        const ds = w * (ws.dAlpha[j]! - mean);
        const e = (j * Bs + b) * S;
        for (let i = 0; i < S; i++) {
          ws.dP[r * S + i]! += ds * memory[e + i]!;
          dMemory[e + i]! += ds * ws.p[r * S + i]!;
        }
      }
    }
    // ∂J/∂W_a += sᵀ·δp;  δs += δp·W_aᵀ
    k.gemm(true, false, H, S, R, query, 0, H, ws.dP, 0, S, this.dW_a, 0, S, true);
    k.gemm(false, true, R, H, S, ws.dP, 0, S, this.W_a, 0, S, dQuery, 0, H, true);
  }

  private workspace(rows: number, Ts: number): Workspace {
    const old = this.ws;
    if (old && old.rows >= rows && old.capTs >= Ts) {
      old.Ts = Ts;
      return old;
    }
    const { queryWidth: H, memoryWidth: S, dtype } = this.config;
    const R = Math.max(rows, old ? old.rows : 0);
    const capTs = Math.max(Ts, old ? old.capTs : 0);
    const ws: Workspace = {
      rows: R,
      capTs,
      Ts,
      p: allocate(dtype, R * S),
      alpha: allocate(dtype, R * capTs),
      cat: allocate(dtype, R * (S + H)),
      out: allocate(dtype, R * H),
      dz: allocate(dtype, R * H),
      dCat: allocate(dtype, R * (S + H)),
      dP: allocate(dtype, R * S),
      dAlpha: allocate(dtype, capTs),
    };
    this.ws = ws;
    return ws;
  }
}
