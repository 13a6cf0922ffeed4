/** Messages between the Pronounce tab and its training worker. */

export type ToPronounceWorker =
  | { readonly type: 'init'; readonly dict: Readonly<Record<string, string>> }
  | { readonly type: 'start' }
  | { readonly type: 'pause' };

/** A phoneme error rate (edit distance / reference length) and the share of words said exactly. */
export interface Score {
  readonly errorRate: number;
  readonly wordAccuracy: number;
}

export type FromPronounceWorker =
  | {
    readonly type: 'ready'; readonly trainWords: number; readonly heldOutWords: readonly string[]; readonly parameters: number;
    readonly kernels: string; readonly copyThrough: Score;
  }
  | { readonly type: 'running'; readonly running: boolean }
  /** Mean loss (cross-entropy per phoneme) of the updates since the last report. */
  | { readonly type: 'progress'; readonly step: number; readonly loss: number; readonly wordsPerSecond?: number }
  /** The model after `step` updates, as model-file bytes, and its held-out score. */
  | { readonly type: 'model'; readonly step: number; readonly heldOut: Score; readonly bytes: ArrayBuffer }
  | { readonly type: 'error'; readonly message: string };
