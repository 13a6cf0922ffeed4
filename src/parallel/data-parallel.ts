/**
 * Data-parallel training on several threads: the batch's B sequences are
 * split into contiguous shards, the main thread computes the first and each
 * replica thread one of the others, and the gradients are summed —
 *
 *   ∂J/∂θ = Σ_shards Σ_{b ∈ shard} ∂J_b/∂θ,
 *
 * the same sum as one thread computes, in a different order (so equal up to
 * floating-point rounding). θ, the shards and the gradients live in shared
 * memory; a step costs no message, only an atomic counter and a wake-up.
 * Each replica is a full copy of the model; the optimizer runs once, on
 * the main thread, between steps.
 *
 * The model is a {@link Network} (shards of its SequenceBatch, with initial
 * and final states) or a {@link ShardableTrainable} — an encoder–decoder, a
 * mean-pooled classifier — whose batch splits by columns (./columns.ts) and
 * whose replica is rebuilt from its description; θ is then its parameter
 * sets end to end, and so is each gradient slot.
 *
 * Small batches do not pay for the hand-over: a batch with fewer than
 * `minSequences` sequences per thread runs on fewer threads (one below
 * 2·minSequences). Threads are started by the host ({@link SpawnReplica}):
 * `createDataParallel` in `rnnkit/node` uses worker_threads; a browser
 * uses Web Workers (which need a cross-origin-isolated page for shared
 * memory).
 */

import { FormatError, OptionError, RecurrentError, ShapeError, TrainingError } from '../core/errors.js';
import { allocate, type Float } from '../core/tensor.js';
import type { BackwardOptions, CellState } from '../cells/cell.js';
import { getKernels } from '../core/kernels.js';
import type { ParamSet } from '../core/params.js';
import { Network, type GradientResult, type SequenceBatch } from '../model/network.js';
import type { BatchColumns, ShardableTrainable } from '../train/trainable.js';
import { columnsHeader, columnsLayout, LocalColumns, writeColumns } from './columns.js';
import {
  C, CMD_EXIT, CMD_STEP, CONTROL_BYTES, controlViews, floatView, readError, shardDims, shardLayout, writeHeader,
  type ControlViews, type FromReplica, type ReplicaModel, type ShardDims, type ToReplica,
} from './protocol.js';
import { copyColumns, headerOf, LocalShard, sharedShard, type SharedShard } from './shard.js';

/** A replica thread as the main thread sees it. */
export interface ReplicaPort {
  postMessage(message: ToReplica): void;
  /** Registers the handler of the replica's messages (used while setting up). */
  onMessage(handler: (message: FromReplica) => void): void;
  /** Registers the handler of the thread failing to start or dying. */
  onError(handler: (error: Error) => void): void;
  terminate(): void;
}

/** Starts one replica thread (running {@link serveReplica}). */
export type SpawnReplica = () => ReplicaPort;

/**
 * Fewest sequences worth a thread of their own, by default: with 4 a thread
 * the LSTM gained nothing from a second core, from 8 on both cells did
 * (docs/performance.md, Multi-core training).
 */
export const MIN_SEQUENCES_PER_THREAD = 8;

/** Threads a batch of B sequences keeps busy on `cores` cores: min(cores, ⌊B / minSequences⌋), at least 1. */
export function threadsFor(B: number, cores: number, minSequences = MIN_SEQUENCES_PER_THREAD): number {
  return Math.max(1, Math.min(cores, Math.floor(B / minSequences)));
}

/** Options of {@link DataParallel.create}. */
export interface DataParallelOptions {
  /** Threads in all, the main thread included (≥ 1). */
  readonly threads: number;
  /** Fewest sequences worth a thread of their own. Default {@link MIN_SEQUENCES_PER_THREAD}. */
  readonly minSequences?: number;
  /** How long to wait for a replica's step before declaring it lost, in ms. Default 120 000. */
  readonly timeoutMs?: number;
}

/** Spins this many times on a replica's counter before sleeping. */
const SPIN = 20_000;

interface ReplicaSlot {
  readonly port: ReplicaPort;
  readonly control: ControlViews;
  readonly grad: Float;
  readonly gradBuffer: SharedArrayBuffer;
  data: SharedArrayBuffer;
  generation: number;
  /** The shard handed over in the current step (null: idle this step). */
  shard: { b0: number; b1: number; view: SharedShard } | null;
}

/** What DataParallel trains: a network, or a trainable whose batches split by sequence. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ParallelModel = Network | ShardableTrainable<any>;

/**
 * Computes a model's batch gradients on several threads.
 *
 * ```ts
 * import { createDataParallel } from 'rnnkit/node';
 * const parallel = await createDataParallel(net, { threads: 2 });
 * try {
 *   await fit(net, data, { parallel, ... });
 * } finally {
 *   parallel.dispose();
 * }
 * ```
 */
export class DataParallel {
  /** The model the replicas copy. */
  readonly model: ParallelModel;
  /** The model when it is a network, else null. */
  readonly net: Network | null;
  readonly threads: number;
  readonly minSequences: number;
  private readonly timeoutMs: number;
  /** The network's shard sizes (null for a trainable). */
  private readonly dims: ShardDims | null;
  /** The model's parameter sets (θ is them end to end). */
  readonly sets: readonly ParamSet[];
  private readonly theta: Float;
  private readonly replicas: ReplicaSlot[];
  private readonly local: LocalShard | null;
  private readonly localColumns = new LocalColumns();
  private disposed = false;
  /** The last gradient's split (null: it ran on this thread alone), and the assembled final states. */
  private lastSplit: { T: number; B: number; b1: number } | null = null;
  private finalStates: { B: number; states: { h: Float; c?: Float }[] } | null = null;
  private readonly canWait: boolean;

  private constructor(model: ParallelModel, theta: Float, replicas: ReplicaSlot[], options: DataParallelOptions) {
    this.model = model;
    this.net = model instanceof Network ? model : null;
    this.threads = replicas.length + 1;
    this.minSequences = options.minSequences ?? MIN_SEQUENCES_PER_THREAD;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.dims = this.net ? shardDims(this.net.config) : null;
    this.sets = paramSetsOf(model);
    this.theta = theta;
    this.replicas = replicas;
    this.local = this.dims ? new LocalShard(this.dims) : null;
    this.canWait = atomicsWaitAllowed();
  }

  /**
   * Starts `threads − 1` replicas of `model` and resolves when all are ready.
   * Rejects (after stopping the ones that started) when a thread cannot start.
   */
  static async create(model: ParallelModel, spawn: SpawnReplica, options: DataParallelOptions): Promise<DataParallel> {
    const threads = options.threads;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new OptionError(`threads must be an integer in [1, 256], got ${String(threads)}`);
    if (options.minSequences !== undefined && !(Number.isInteger(options.minSequences) && options.minSequences >= 1)) {
      throw new OptionError(`minSequences must be a positive integer, got ${String(options.minSequences)}`);
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw new OptionError(`timeoutMs must be positive, got ${String(options.timeoutMs)}`);
    if (threads > 1 && typeof SharedArrayBuffer === 'undefined') {
      throw new RecurrentError('UNSUPPORTED', 'multi-threaded training needs SharedArrayBuffer (in a browser: a cross-origin-isolated page); use threads: 1');
    }
    const description: ReplicaModel = model instanceof Network ? { kind: 'network', config: model.config } : model.describe();
    const dtype = model instanceof Network ? model.config.dtype : model.dtype;
    const n = paramSetsOf(model).reduce((s, p) => s + p.size, 0);
    const bytes = dtype === 'float64' ? 8 : 4;
    // one thread shares nothing: it needs no SharedArrayBuffer (which a page that is not cross-origin isolated lacks)
    const thetaBuffer = threads > 1 ? new SharedArrayBuffer(Math.max(n * bytes, 8)) : null;
    const theta = thetaBuffer ? floatView(thetaBuffer, dtype, 0, n) : allocate(dtype, n);
    const kernels = (model instanceof Network ? model.kernels : getKernels()).name.startsWith('wasm') ? 'wasm' : 'js';
    const slots: ReplicaSlot[] = [];
    try {
      for (let i = 1; i < threads; i++) {
        const port = spawn();
        const control = new SharedArrayBuffer(CONTROL_BYTES);
        const gradBuffer = new SharedArrayBuffer(Math.max(n * bytes, 8));
        const data = new SharedArrayBuffer(1024);
        const slot: ReplicaSlot = { port, control: controlViews(control), grad: floatView(gradBuffer, dtype, 0, n), gradBuffer, data, generation: 0, shard: null };
        slots.push(slot);
        const ready = new Promise<void>((resolve, reject) => {
          port.onMessage((m) => (m.type === 'ready' ? resolve() : reject(rebuildError(m.name, `gradient thread ${i}: ${m.message}`))));
          port.onError((e) => reject(new RecurrentError('THREAD', `gradient thread ${i} failed to start: ${e.message}`)));
        });
        port.postMessage({ type: 'setup', model: description, kernels, control, theta: thetaBuffer!, grad: gradBuffer, data, generation: 0 });
        await ready;
      }
    } catch (e) {
      for (const s of slots) s.port.terminate();
      throw e;
    }
    return new DataParallel(model, theta, slots, options);
  }

  /**
   * The gradient of a batch, like the model's own `gradient`: ADDED to its
   * parameter sets' `grad` (zero them first), summed over the batch's
   * sequences; returns J and the count. A network's initial-state gradients
   * (`initGradient`) are computed on the main thread alone.
   */
  gradient(batch: unknown, options: BackwardOptions & { readonly initGradient?: boolean } = {}): GradientResult {
    if (this.disposed) throw new OptionError('this DataParallel was disposed');
    const net = this.net;
    if (!net) return this.trainableGradient(batch, options);
    const local = this.local!;
    if (!isSequenceBatch(batch)) throw new ShapeError('a network trains on a SequenceBatch');
    net.checkBatch(batch);
    const B = batch.B;
    const shards = threadsFor(B, this.threads, this.minSequences);
    if (shards <= 1 || options.initGradient) {
      this.lastSplit = null;
      return net.gradient(batch, options);
    }
    const sum = this.runShards(B, shards, (slot, from, to) => this.handOver(slot, batch, from, to, options),
      (end) => net.gradient(local.load(batch, 0, end), options));
    this.lastSplit = { T: batch.T, B, b1: Math.floor(B / shards) }; // shard 0, this thread's
    return sum;
  }

  /** The gradient of a trainable's batch: its columns split into shards, one per thread. */
  private trainableGradient(batch: unknown, options: BackwardOptions): GradientResult {
    const model = this.model as ShardableTrainable<unknown>;
    const cols = model.toColumns(batch);
    const B = cols.B;
    const shards = threadsFor(B, this.threads, this.minSequences);
    if (shards <= 1) return model.gradient(batch, options);
    return this.runShards(B, shards, (slot, from, to) => this.handOverColumns(slot, cols, from, to, options),
      (end) => model.gradient(model.fromColumns(this.localColumns.load(cols, 0, end)), options));
  }

  /**
   * One data-parallel step over B sequences in `shards` contiguous shards:
   * shard s covers sequences [⌊sB/shards⌋, ⌊(s+1)B/shards⌋); shards 1… go to
   * the replicas, this thread computes shard 0 (the smallest, [0, end)), and
   * the gradients are summed once every replica is done.
   */
  private runShards(
    B: number,
    shards: number,
    handOver: (slot: ReplicaSlot, from: number, to: number) => void,
    own: (end: number) => { loss: number; count: number },
  ): GradientResult {
    this.copyTheta();
    const bound = (s: number): number => Math.floor((s * B) / shards);
    const handed: ReplicaSlot[] = [];
    for (let s = 1; s < shards; s++) {
      const slot = this.replicas[s - 1]!;
      handOver(slot, bound(s), bound(s + 1));
      handed.push(slot);
    }
    let mine: { loss: number; count: number };
    try {
      mine = own(bound(1));
    } finally {
      this.collect(handed); // the replicas finish even when this thread's shard threw
    }
    return this.addReplicas(handed, mine);
  }

  /** θ of every parameter set, end to end, into the shared buffer. */
  private copyTheta(): void {
    let at = 0;
    for (const p of this.sets) {
      this.theta.set(p.data, at);
      at += p.size;
    }
  }

  /** Adds the handed-over replicas' gradients, J and counts to this thread's (throws a replica's error). */
  private addReplicas(handed: readonly ReplicaSlot[], mine: { loss: number; count: number }): GradientResult {
    let loss = mine.loss;
    let count = mine.count;
    for (const slot of handed) {
      if (slot.control.ints[C.STATUS] !== 0) {
        const e = readError(slot.control);
        throw rebuildError(e.name, e.message);
      }
      // ∂J/∂θ += the replica's Σ_{b ∈ shard} ∂J_b/∂θ, set by set
      const r = slot.grad;
      let at = 0;
      for (const p of this.sets) {
        const g = p.grad;
        for (let i = 0; i < g.length; i++) g[i]! += r[at + i]!;
        at += p.size;
      }
      loss += slot.control.result[0]!;
      count += slot.control.result[1]!;
    }
    return { loss, count };
  }

  /**
   * The state of every layer after the last step of the last
   * {@link gradient} call (B×H per layer, all sequences): the carry of a
   * stateful source. Views valid until the next call.
   */
  finalState(T: number, B: number): CellState[] {
    const split = this.lastSplit;
    const net = this.net;
    const dims = this.dims;
    if (!net || !dims) throw new OptionError('finalState needs a network (a trainable carries no state between batches)');
    if (!split || split.T !== T || split.B !== B) return net.stateAt(T, B);
    const H = dims.H;
    if (!this.finalStates || this.finalStates.B !== B) {
      const dt = dims.dtype;
      this.finalStates = { B, states: dims.hasC.map((c) => (c ? { h: allocate(dt, B * H), c: allocate(dt, B * H) } : { h: allocate(dt, B * H) })) };
    }
    const out = this.finalStates.states;
    net.stateAt(T, split.b1).forEach((s, l) => {
      out[l]!.h.set(s.h);
      if (s.c) out[l]!.c!.set(s.c);
    });
    for (const slot of this.replicas) {
      const sh = slot.shard;
      if (!sh) continue;
      out.forEach((s, l) => {
        s.h.set(sh.view.finalH[l]!, sh.b0 * H);
        if (s.c) s.c.set(sh.view.finalC[l]!, sh.b0 * H);
      });
    }
    return out;
  }

  /** Stops the replica threads. The object cannot compute after this. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const slot of this.replicas) {
      const ints = slot.control.ints;
      ints[C.CMD] = CMD_EXIT;
      Atomics.add(ints, C.SEQ, 1);
      Atomics.notify(ints, C.SEQ);
      slot.port.terminate();
    }
  }

  /** Writes shard [b0, b1) and its options into a replica's memory and wakes it. */
  private handOver(slot: ReplicaSlot, batch: SequenceBatch, b0: number, b1: number, options: BackwardOptions): void {
    const dims = this.dims!;
    const h = headerOf(batch, b0, b1);
    const ints = slot.control.ints;
    this.ensureData(slot, shardLayout(h, dims).bytes);
    const view = sharedShard(slot.data, h, dims);
    copyColumns(batch, b0, b1, view, dims);
    writeHeader(ints, h);
    ints[C.LOSS_LAST] = batch.lossAt === 'last' ? 1 : 0;
    ints[C.FEEDBACK] = batch.feedback === 'argmax' ? 1 : 0;
    writeBackwardOptions(ints, options);
    ints[C.GEN] = slot.generation;
    ints[C.CMD] = CMD_STEP;
    ints[C.STATUS] = 0;
    slot.shard = { b0, b1, view };
    Atomics.add(ints, C.SEQ, 1); // (a sequentially consistent store: everything above is visible to the replica)
    Atomics.notify(ints, C.SEQ);
  }

  /** Writes columns [b0, b1) of a trainable's batch into a replica's memory and wakes it. */
  private handOverColumns(slot: ReplicaSlot, cols: BatchColumns, b0: number, b1: number, options: BackwardOptions): void {
    const h = columnsHeader(cols, b0, b1);
    const ints = slot.control.ints;
    this.ensureData(slot, columnsLayout(h).bytes);
    writeColumns(slot.data, cols, b0, b1, h);
    writeBackwardOptions(ints, options);
    ints[C.GEN] = slot.generation;
    ints[C.CMD] = CMD_STEP;
    ints[C.STATUS] = 0;
    slot.shard = null; // (no states to gather)
    Atomics.add(ints, C.SEQ, 1);
    Atomics.notify(ints, C.SEQ);
  }

  /** Gives a replica a data block of at least `need` bytes: a bigger one is sent before the step that needs it (the replica fetches it when GEN differs). */
  private ensureData(slot: ReplicaSlot, need: number): void {
    if (need <= slot.data.byteLength) return;
    slot.data = new SharedArrayBuffer(Math.ceil(need * 1.25));
    slot.generation++;
    slot.port.postMessage({ type: 'data', data: slot.data, generation: slot.generation });
  }

  /** Waits until every handed-over replica has finished its step. */
  private collect(handed: ReplicaSlot[]): void {
    for (const slot of this.replicas) if (!handed.includes(slot)) slot.shard = null;
    for (const slot of handed) {
      const ints = slot.control.ints;
      const seq = Atomics.load(ints, C.SEQ);
      let done = Atomics.load(ints, C.DONE);
      for (let i = 0; done !== seq && i < SPIN; i++) done = Atomics.load(ints, C.DONE);
      const start = Date.now();
      while (done !== seq) {
        if (Date.now() - start > this.timeoutMs) {
          throw new TrainingError(`gradient thread ${this.replicas.indexOf(slot) + 1} did not finish its shard within ${this.timeoutMs} ms; it may have run out of memory. Train with threads: 1 to see the error`);
        }
        if (this.canWait) Atomics.wait(ints, C.DONE, done, 100);
        done = Atomics.load(ints, C.DONE);
      }
    }
  }
}

/** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
function atomicsWaitAllowed(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** An error from another thread as the library's own class, so callers can still tell them apart. */
function rebuildError(name: string, message: string): Error {
  switch (name) {
    case 'OptionError': return new OptionError(message);
    case 'ShapeError': return new ShapeError(message);
    case 'TrainingError': return new TrainingError(message);
    case 'FormatError': return new FormatError(message);
    default: return new RecurrentError('THREAD', message);
  }
}

function paramSetsOf(model: ParallelModel): readonly ParamSet[] {
  return model instanceof Network ? [model.params] : model.paramSets;
}

function isSequenceBatch(b: unknown): b is SequenceBatch {
  return typeof b === 'object' && b !== null && 'T' in b && 'x' in b && 'y' in b;
}

/** The backward options of a step, for the replica (truncation k, 0 for exact BPTT; the lecture formulas). */
function writeBackwardOptions(ints: Int32Array, options: BackwardOptions): void {
  ints[C.TRUNCATE] = options.truncate !== undefined && Number.isFinite(options.truncate) ? Math.max(1, Math.floor(options.truncate)) : 0;
  ints[C.LECTURE] = options.gradientMode === 'lecture' ? 1 : 0;
}
