/** Messages between the Train page and its training worker. */

import type { ModelSettings } from './char-model.js';

/** Most threads the page's address (`?threads=N`) may ask for. */
export const MAX_FORCED_THREADS = 16;

/** Everything a training run is configured with. */
export interface TrainSettings extends ModelSettings {
  /** Characters per training window (T). */
  readonly seqLength: number;
  /** Adam's step size η. */
  readonly learningRate: number;
  /** Windows per update (B). */
  readonly batchSize: number;
  /** Global-norm clipping threshold. */
  readonly clip: number;
  readonly seed: number;
  /** Threads to train on, as set by the page's address (`?threads=N`); absent: chosen from the cores and B. */
  readonly threads?: number;
}

export type ToWorker =
  | { readonly type: 'init'; readonly text: string; readonly settings: TrainSettings }
  | { readonly type: 'start' }
  | { readonly type: 'pause' }
  | { readonly type: 'temperature'; readonly value: number }
  | { readonly type: 'sample'; readonly length: number; readonly prime: string }
  | { readonly type: 'save' }
  | { readonly type: 'load'; readonly bytes: ArrayBuffer; readonly fileName: string; readonly text: string; readonly settings: TrainSettings }
  | { readonly type: 'snapshot' };

/** A copy of the model for the main thread (the Inside page rebuilds it). */
export interface Snapshot {
  readonly settings: ModelSettings;
  /** The vocabulary (a char tokenizer's symbols; index 0 is the unknown symbol). */
  readonly symbols: readonly string[];
  readonly params: Float32Array;
  readonly step: number;
}

export type FromWorker =
  | { readonly type: 'ready'; readonly vocabSize: number; readonly parameters: number; readonly trainChars: number; readonly validChars: number; readonly settings: TrainSettings; readonly step: number; readonly kernels: string }
  /** Mean cross-entropy per character (nats) of each update since the last message; validation loss when it was measured. */
  | { readonly type: 'progress'; readonly points: readonly (readonly [number, number])[]; readonly valid?: readonly [number, number]; readonly charsPerSecond: number }
  | { readonly type: 'sample'; readonly step: number; readonly text: string; readonly temperature: number; readonly onRequest: boolean }
  | { readonly type: 'running'; readonly running: boolean }
  /** The threads training runs on (planned when a model is set up, actual once training starts) and why no more ('' when nothing held it back). */
  | { readonly type: 'threads'; readonly threads: number; readonly reason: string }
  | { readonly type: 'saved'; readonly bytes: ArrayBuffer; readonly fileName: string }
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly type: 'error'; readonly message: string };
