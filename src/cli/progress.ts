/**
 * Training progress on the terminal, in one of three forms:
 * - `bar`: a live progress bar (cli-progress) on stderr, for an interactive
 *   terminal; samples and messages scroll above it;
 * - `lines`: plain log lines on stderr, at most one every few seconds (CI,
 *   pipes, files);
 * - `json`: one JSON object per log line on stdout (`--json-log`), with
 *   `step`, `epoch`, `trainLoss` (nats per symbol), `trainBpc`, `valBpc`
 *   (when measured), `charsPerSec`, `elapsedSec` and, on sample lines,
 *   `prime` and `sample`.
 */

import cliProgress from 'cli-progress';
import type { CommandIO } from './args.js';

/** What one progress report says. */
export interface ProgressStats {
  readonly step: number;
  /** Completed passes over the training text (fractional). */
  readonly epoch: number;
  /** Mean cross-entropy per symbol (nats) over the last few steps. */
  readonly trainLoss: number;
  /** Validation bits per symbol, when it was measured at this step. */
  readonly valBpc?: number;
  /** Training symbols per second (characters for a character model). */
  readonly charsPerSec: number;
  readonly elapsedSec: number;
  /** Seconds left, when known. */
  readonly etaSec?: number;
  /** Progress in [0, 1] towards the step or time budget. */
  readonly fraction: number;
}

export type ProgressMode = 'bar' | 'lines' | 'json';

export interface ProgressReporter {
  /** Reports the current state; `important` forces a log line (e.g. a validation result). */
  update(stats: ProgressStats, important?: boolean): void;
  /** A text sample generated at `stats.step`. */
  sample(stats: ProgressStats, prime: string, text: string): void;
  /** A free-form message (checkpoint saved, interrupted, …). */
  message(text: string): void;
  /** Ends the display (the bar is left at its last state). */
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly mode: ProgressMode;
  /** Name of a symbol in messages: "char" or "word". */
  readonly unit: string;
  /** Seconds between plain log lines. Default 5. */
  readonly intervalSec?: number;
  /** The stream a bar draws on (default process.stderr). */
  readonly stream?: NodeJS.WritableStream;
}

/** Seconds as `1m05s` / `42s`. */
export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** One plain log line for a report. */
export function progressLine(s: ProgressStats, unit: string): string {
  const val = s.valBpc !== undefined ? `  val ${s.valBpc.toFixed(3)} bits/${unit}` : '';
  const eta = s.etaSec !== undefined ? `  ETA ${formatDuration(s.etaSec)}` : '';
  return `step ${s.step}  epoch ${s.epoch.toFixed(2)}  train ${(s.trainLoss / Math.LN2).toFixed(3)} bits/${unit}${val}  ${Math.round(s.charsPerSec)} ${unit}s/s  ${formatDuration(s.elapsedSec)}${eta}`;
}

function jsonLine(s: ProgressStats, extra: Record<string, unknown> = {}): string {
  const o: Record<string, unknown> = {
    step: s.step,
    epoch: round(s.epoch, 4),
    trainLoss: round(s.trainLoss, 5),
    trainBpc: round(s.trainLoss / Math.LN2, 5),
    charsPerSec: Math.round(s.charsPerSec),
    elapsedSec: round(s.elapsedSec, 2),
  };
  if (s.valBpc !== undefined) o.valBpc = round(s.valBpc, 5);
  return JSON.stringify({ ...o, ...extra }) + '\n';
}

function round(v: number, digits: number): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}

/** A sample as indented lines for the terminal. */
export function sampleBlock(step: number, prime: string, text: string): string {
  const body = (prime + text).split('\n').map((l) => `  │ ${l}`).join('\n');
  return `── sample at step ${step} ──\n${body}\n`;
}

/** Creates the reporter for `mode`. */
export function createProgress(io: CommandIO, options: ProgressOptions): ProgressReporter {
  const unit = options.unit;
  let last = -Infinity;
  const interval = (options.intervalSec ?? 5) * 1000;
  const due = (): boolean => {
    const now = Date.now();
    if (now - last < interval) return false;
    last = now;
    return true;
  };
  if (options.mode === 'json') {
    return {
      update: (s, important) => {
        if (important || due()) io.out(jsonLine(s));
      },
      sample: (s, prime, text) => io.out(jsonLine(s, { prime, sample: text })),
      message: () => {}, // every JSON line is a progress record; messages are for people
      stop: () => {},
    };
  }
  if (options.mode === 'lines') {
    return {
      update: (s, important) => {
        if (important) last = Date.now();
        if (important || due()) io.err(progressLine(s, unit) + '\n');
      },
      sample: (s, prime, text) => io.err(sampleBlock(s.step, prime, text)),
      message: (text) => io.err(text + '\n'),
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar({
    format: ' {bar} {percentage}% | step {step} | epoch {epoch} | train {loss} | val {val} | {speed} | {elapsed} | ETA {eta2}',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    barsize: 24,
    hideCursor: true,
    stream: options.stream ?? process.stderr,
    fps: 8,
    autopadding: true,
  });
  let lastVal = '–';
  const bar = multi.create(1000, 0, payload(null));
  function payload(s: ProgressStats | null): Record<string, string | number> {
    return {
      step: s ? s.step : 0,
      epoch: s ? s.epoch.toFixed(2) : '0.00',
      loss: s ? `${(s.trainLoss / Math.LN2).toFixed(3)} bits/${unit}` : '–',
      val: s?.valBpc !== undefined ? (lastVal = `${s.valBpc.toFixed(3)} bits/${unit}`) : lastVal,
      speed: s ? `${Math.round(s.charsPerSec)} ${unit}s/s` : '–',
      elapsed: s ? formatDuration(s.elapsedSec) : '0s',
      eta2: s?.etaSec !== undefined ? formatDuration(s.etaSec) : '?',
    };
  }
  return {
    update: (s) => bar.update(Math.round(Math.min(1, Math.max(0, s.fraction)) * 1000), payload(s)),
    sample: (s, prime, text) => multi.log(sampleBlock(s.step, prime, text)),
    message: (text) => multi.log(text + '\n'),
    stop: () => multi.stop(),
  };
}
