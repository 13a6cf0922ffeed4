/**
 * The worker side of data-parallel training: a copy of the network that,
 * for each step the main thread hands it, reads θ and its shard of the batch
 * from shared memory, runs forward and BPTT on its sequences, and leaves
 * ∂J/∂θ, J, the count and the final states there.
 *
 * It runs in any thread that has SharedArrayBuffer and Atomics.wait (a Node
 * worker_thread, a browser Web Worker in a cross-origin-isolated page); the
 * host supplies how messages arrive and leave ({@link ReplicaEndpoint}).
 */

import { Network } from '../model/network.js';
import { useKernels } from '../kernels/select.js';
import { C, CMD_EXIT, CMD_STEP, controlViews, floatView, readHeader, shardDims, writeError, type ControlViews, type FromReplica, type ShardDims, type ToReplica } from './protocol.js';
import { LocalShard, shardBatch, sharedShard } from './shard.js';
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
        endpoint.postMessage({ type: 'ready', kernels: r.net.kernels.name });
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
  readonly net: Network;
  private readonly control: ControlViews;
  private readonly theta: Float;
  private readonly grad: Float;
  private readonly dims: ShardDims;
  private readonly local: LocalShard;
  private data: SharedArrayBuffer;
  private generation: number;
  private last = 0;

  constructor(m: Extract<ToReplica, { type: 'setup' }>) {
    this.net = new Network({ ...m.config });
    const n = this.net.params.size;
    this.control = controlViews(m.control);
    this.theta = floatView(m.theta, m.config.dtype, 0, n);
    this.grad = floatView(m.grad, m.config.dtype, 0, n);
    this.dims = shardDims(m.config);
    this.local = new LocalShard(this.dims);
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
      if (ints[C.CMD] === CMD_STEP) this.step();
      Atomics.store(ints, C.DONE, seq);
      Atomics.notify(ints, C.DONE);
    }
  }

  /** One shard: θ in, forward + BPTT, ∂J/∂θ and J out. */
  private step(): void {
    const c = this.control;
    try {
      const h = readHeader(c.ints);
      const view = sharedShard(this.data, h, this.dims);
      const source = shardBatch(h, view, {
        ...(c.ints[C.LOSS_LAST] === 1 ? { lossAt: 'last' as const } : {}),
        ...(c.ints[C.FEEDBACK] === 1 ? { feedback: 'argmax' as const } : {}),
      });
      const batch = this.local.load(source, 0, h.B);
      const p = this.net.params;
      p.data.set(this.theta);
      p.zeroGrad();
      const k = c.ints[C.TRUNCATE]!;
      const g = this.net.gradient(batch, { ...(k > 0 ? { truncate: k } : {}), ...(c.ints[C.LECTURE] === 1 ? { gradientMode: 'lecture' } : {}) });
      this.grad.set(p.grad);
      const states = this.net.stateAt(h.T, h.B);
      states.forEach((s, l) => {
        view.finalH[l]!.set(s.h);
        if (s.c) view.finalC[l]?.set(s.c);
      });
      c.result[0] = g.loss;
      c.result[1] = g.count;
      c.ints[C.STATUS] = 0;
    } catch (e) {
      writeError(c, e);
      c.ints[C.STATUS] = 1;
    }
  }
}
