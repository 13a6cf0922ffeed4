/**
 * The worker side of data-parallel training: a copy of the model (a network,
 * or a trainable rebuilt from its description) that, for each step the main
 * thread hands it, reads θ and its shard of the batch from shared memory,
 * runs forward and BPTT on its sequences, and leaves ∂J/∂θ, J, the count
 * and (for a network) the final states there.
 *
 * It runs in any thread that has SharedArrayBuffer and Atomics.wait (a Node
 * worker_thread, a browser Web Worker in a cross-origin-isolated page); the
 * host supplies how messages arrive and leave ({@link ReplicaEndpoint}).
 */

import { Network } from '../model/network.js';
import { useKernels } from '../kernels/select.js';
import { getKernels } from '../core/kernels.js';
import type { ParamSet } from '../core/params.js';
import type { BackwardOptions } from '../cells/cell.js';
import type { ShardableTrainable } from '../train/trainable.js';
import { C, CMD_EXIT, CMD_STEP, controlViews, floatView, readHeader, shardDims, writeError, type ControlViews, type FromReplica, type ShardDims, type ToReplica } from './protocol.js';
import { LocalShard, shardBatch, sharedShard } from './shard.js';
import { LocalColumns, readColumnsHeader, sharedColumns } from './columns.js';
import { buildReplicaModel } from './models.js';
import type { Float } from '../core/tensor.js';

/** How a replica talks to its host thread. */
export interface ReplicaEndpoint {
  /** Registers the handler of messages from the main thread. */
  onMessage(handler: (message: ToReplica) => void): void;
  postMessage(message: FromReplica): void;
  /** Ends the thread (after an exit command). */
  close(): void;
}

/** Spins (reading the step counter) this many times before sleeping in Atomics.wait. */
const SPIN = 20_000;

/** Serves gradient steps until the main thread says exit. */
export function serveReplica(endpoint: ReplicaEndpoint): void {
  let r: Replica | null = null;
  endpoint.onMessage((m) => {
    try {
      if (m.type === 'setup') {
        useKernels(m.kernels === 'wasm' ? 'auto' : 'js');
        r = new Replica(m);
        endpoint.postMessage({ type: 'ready', kernels: r.kernels });
      } else if (r) {
        r.installData(m.data, m.generation);
      }
    } catch (e) {
      endpoint.postMessage({ type: 'error', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    // serve steps until a step needs a data block not yet received (then the
    // message that carries it runs this handler again) or until told to exit
    if (r && r.serve() === 'exit') endpoint.close();
  });
}

class Replica {
  /** The copy: a network, or a trainable. */
  private readonly net: Network | null;
  private readonly trainable: ShardableTrainable<unknown> | null;
  readonly kernels: string;
  private readonly sets: readonly ParamSet[];
  private readonly control: ControlViews;
  private readonly theta: Float;
  private readonly grad: Float;
  private readonly dims: ShardDims | null;
  private readonly local: LocalShard | null;
  private readonly localColumns = new LocalColumns();
  private data: SharedArrayBuffer;
  private generation: number;
  private last = 0;

  constructor(m: Extract<ToReplica, { type: 'setup' }>) {
    const model = buildReplicaModel(m.model);
    this.net = model instanceof Network ? model : null;
    this.trainable = model instanceof Network ? null : model;
    this.sets = model instanceof Network ? [model.params] : model.paramSets;
    this.kernels = (this.net ? this.net.kernels : getKernels()).name;
    const dtype = model instanceof Network ? model.config.dtype : model.dtype;
    const n = this.sets.reduce((s, p) => s + p.size, 0);
    this.control = controlViews(m.control);
    this.theta = floatView(m.theta, dtype, 0, n);
    this.grad = floatView(m.grad, dtype, 0, n);
    this.dims = this.net ? shardDims(this.net.config) : null;
    this.local = this.dims ? new LocalShard(this.dims) : null;
    this.data = m.data;
    this.generation = m.generation;
    this.last = Atomics.load(this.control.ints, C.SEQ);
  }

  installData(data: SharedArrayBuffer, generation: number): void {
    this.data = data;
    this.generation = generation;
  }

  /** Runs steps as they come; returns when the data block is stale ('message') or on exit. */
  serve(): 'message' | 'exit' {
    const ints = this.control.ints;
    for (;;) {
      let seq = Atomics.load(ints, C.SEQ);
      for (let i = 0; seq === this.last && i < SPIN; i++) seq = Atomics.load(ints, C.SEQ);
      while (seq === this.last) {
        Atomics.wait(ints, C.SEQ, this.last);
        seq = Atomics.load(ints, C.SEQ);
      }
      if (ints[C.CMD] === CMD_EXIT) return 'exit';
      if (ints[C.GEN] !== this.generation) return 'message'; // the new block is in a message on its way
      this.last = seq;
      if (ints[C.CMD] === CMD_STEP) this.runStep();
      Atomics.store(ints, C.DONE, seq);
      Atomics.notify(ints, C.DONE);
    }
  }

  /** Runs the step the main thread asked for; leaves J and its count, or the error, in the control block. */
  private runStep(): void {
    const c = this.control;
    try {
      const g = this.trainable ? this.stepTrainable(this.trainable) : this.step(this.net!, this.dims!, this.local!);
      c.result[0] = g.loss;
      c.result[1] = g.count;
      c.ints[C.STATUS] = 0;
    } catch (e) {
      writeError(c, e);
      c.ints[C.STATUS] = 1;
    }
  }

  /** One shard: θ in, forward + BPTT, ∂J/∂θ and the final states out; returns J and its count. */
  private step(net: Network, dims: ShardDims, local: LocalShard): { loss: number; count: number } {
    const c = this.control;
    const h = readHeader(c.ints);
    const view = sharedShard(this.data, h, dims);
    const source = shardBatch(h, view, {
      ...(c.ints[C.LOSS_LAST] === 1 ? { lossAt: 'last' as const } : {}),
      ...(c.ints[C.FEEDBACK] === 1 ? { feedback: 'argmax' as const } : {}),
    });
    const batch = local.load(source, 0, h.B);
    const p = net.params;
    p.data.set(this.theta);
    p.zeroGrad();
    const g = net.gradient(batch, backwardOptions(c.ints));
    this.grad.set(p.grad);
    const states = net.stateAt(h.T, h.B);
    states.forEach((s, l) => {
      view.finalH[l]!.set(s.h);
      if (s.c) view.finalC[l]?.set(s.c);
    });
    return g;
  }

  /** One shard of a trainable: θ of every set in, ∂J/∂θ (the sets end to end) out; returns J and its count. */
  private stepTrainable(model: ShardableTrainable<unknown>): { loss: number; count: number } {
    const c = this.control;
    const h = readColumnsHeader(this.data);
    const cols = this.localColumns.load(sharedColumns(this.data, h), 0, h.B);
    let at = 0;
    for (const p of this.sets) {
      p.data.set(this.theta.subarray(at, at + p.size));
      p.zeroGrad();
      at += p.size;
    }
    const g = model.gradient(model.fromColumns(cols), backwardOptions(c.ints));
    at = 0;
    for (const p of this.sets) {
      this.grad.set(p.grad, at);
      at += p.size;
    }
    return g;
  }
}

/** The backward options the main thread wrote for this step. */
function backwardOptions(ints: Int32Array): BackwardOptions {
  const k = ints[C.TRUNCATE]!;
  return { ...(k > 0 ? { truncate: k } : {}), ...(ints[C.LECTURE] === 1 ? { gradientMode: 'lecture' as const } : {}) };
}
