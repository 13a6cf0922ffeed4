/**
 * Gradient replicas in the test's own thread, for the mutation tests of
 * src/parallel: the real `serveReplica` loop behind a {@link SpawnReplica},
 * with no worker thread, so that every line of data-parallel.ts and
 * replica.ts runs where coverage and mutants reach it, deterministically.
 *
 * A replica thread spends its life in `Atomics.wait` on its step counter.
 * Here `Atomics.wait` on a replica's counter throws {@link Parked} instead
 * (the loop unwinds to the message handler that called it), and the replica
 * is woken by handing its handler a message again — what a thread does when
 * its wait returns, seen from outside: it re-reads the counter. When it runs:
 *
 * - `eager`: when the main thread notifies the counter (handOver, dispose);
 * - `lazy`: only when the main thread waits for it (`Atomics.wait` on its
 *   DONE in `collect`), so the main thread's spin and wait loop runs;
 * - `dead`: never (a lost thread: the main thread's timeout).
 *
 * A data message (a bigger block) waits in the replica's inbox until the
 * next wake, as in a thread blocked in its loop: the loop first sees the
 * stale generation and returns, then the message is handled.
 */

import { C, CMD_EXIT, type FromReplica, type ToReplica } from '../../src/parallel/protocol.js';
import { serveReplica } from '../../src/parallel/replica.js';
import type { ReplicaPort, SpawnReplica } from '../../src/parallel/data-parallel.js';

/** Thrown out of a replica's wait on its step counter: it would sleep until the next step. */
class Parked extends Error {}

export type ReplicaMode = 'eager' | 'lazy' | 'dead';

/** What a replica was handed at a wake: the control block's fields for the step. */
export interface SeenStep {
  readonly seq: number;
  readonly T: number;
  readonly B: number;
  readonly truncate: number;
  readonly lecture: number;
  readonly lossLast: number;
  readonly feedback: number;
  readonly generation: number;
}

export class InProcessReplica {
  mode: ReplicaMode;
  /** The replica loop's message handler (registered by serveReplica). */
  handler: ((m: ToReplica) => void) | null = null;
  /** The main thread's handlers of this port. */
  onMain: ((m: FromReplica) => void) | null = null;
  onFail: ((e: Error) => void) | null = null;
  ints: Int32Array | null = null;
  current: { data: SharedArrayBuffer; generation: number } | null = null;
  readonly inbox: ToReplica[] = [];
  /** Every message the main thread sent, in order. */
  readonly received: ToReplica[] = [];
  /** Every message the replica sent back. */
  readonly sent: FromReplica[] = [];
  readonly steps: SeenStep[] = [];
  closed = 0;
  terminated = 0;
  private lastSeq = 0;

  constructor(mode: ReplicaMode) {
    this.mode = mode;
    serveReplica({
      onMessage: (h) => { this.handler = h; },
      postMessage: (m) => {
        this.sent.push(m);
        this.onMain?.(m);
      },
      close: () => { this.closed++; },
    });
  }

  port(): ReplicaPort {
    return {
      postMessage: (m) => {
        this.received.push(m);
        if (m.type === 'setup') {
          this.ints = new Int32Array(m.control, 0, 32);
          this.deliver(m);
        } else {
          this.inbox.push(m);
        }
      },
      onMessage: (h) => { this.onMain = h; },
      onError: (h) => { this.onFail = h; },
      terminate: () => { this.terminated++; },
    };
  }

  /** The replica's loop runs again: it re-reads its counter, then handles the messages waiting for it. */
  wake(): void {
    const ints = this.ints!;
    const seq = Atomics.load(ints, C.SEQ);
    if (seq !== this.lastSeq && ints[C.CMD] !== CMD_EXIT) {
      this.lastSeq = seq;
      this.steps.push({
        seq, T: ints[C.T]!, B: ints[C.B]!, truncate: ints[C.TRUNCATE]!, lecture: ints[C.LECTURE]!,
        lossLast: ints[C.LOSS_LAST]!, feedback: ints[C.FEEDBACK]!, generation: ints[C.GEN]!,
      });
    }
    const c = this.current!;
    this.deliver({ type: 'data', data: c.data, generation: c.generation });
    while (this.inbox.length > 0) this.deliver(this.inbox.shift()!);
  }

  private deliver(m: ToReplica): void {
    this.current = { data: m.data, generation: m.generation };
    try {
      this.handler!(m);
    } catch (e) {
      if (!(e instanceof Parked)) throw e;
    }
  }
}

/** In-process replicas and the Atomics hooks that run them; `install()` before use, `uninstall()` after. */
export class InProcessReplicas {
  readonly all: InProcessReplica[] = [];
  /** The mode of the replicas spawned from now on. */
  mode: ReplicaMode = 'eager';
  /** false: this thread may not block (a browser's main thread): Atomics.wait throws here, as there. */
  mainMayWait = true;
  private saved: { wait: typeof Atomics.wait; notify: typeof Atomics.notify } | null = null;

  readonly spawn: SpawnReplica = () => {
    const r = new InProcessReplica(this.mode);
    this.all.push(r);
    return r.port();
  };

  /** The replicas spawned since `mark` (its length then). */
  since(mark: number): InProcessReplica[] {
    return this.all.slice(mark);
  }

  private of(a: Int32Array | BigInt64Array): InProcessReplica | undefined {
    return this.all.find((r) => r.ints !== null && r.ints.buffer === a.buffer);
  }

  install(): void {
    const wait = Atomics.wait;
    const notify = Atomics.notify;
    this.saved = { wait, notify };
    const hooked = {
      wait: (a: Int32Array | BigInt64Array, index: number, value: number | bigint, timeout?: number) => {
        const r = this.of(a);
        if (r && index === C.SEQ) throw new Parked('the replica sleeps until its next step');
        if (!this.mainMayWait) throw new TypeError('Atomics.wait cannot be called in this context');
        if (r && index === C.DONE) {
          if (r.mode === 'lazy') r.wake();
          return 'timed-out';
        }
        return (wait as (a: Int32Array | BigInt64Array, i: number, v: number | bigint, t?: number) => string)(a, index, value, timeout);
      },
      notify: (a: Int32Array | BigInt64Array, index: number, count?: number) => {
        const r = this.of(a);
        if (r && index === C.SEQ && (r.mode === 'eager' || (r.mode === 'lazy' && a[C.CMD] === CMD_EXIT))) r.wake();
        return (notify as (a: Int32Array | BigInt64Array, i: number, c?: number) => number)(a, index, count);
      },
    };
    Object.assign(Atomics, hooked);
  }

  uninstall(): void {
    if (this.saved) Object.assign(Atomics, this.saved);
    this.saved = null;
  }
}
