/**
 * A trained {@link Seq2Seq} as a JSON document (and back): its options,
 * the parameters of encoder and decoder by name, and whatever the caller
 * adds (symbol tables). Plain JSON, so it loads in a browser too.
 */

import { FormatError } from '../core/errors.js';
import type { ParamSet } from '../core/params.js';
import { Seq2Seq, type Seq2SeqOptions } from './model.js';

/** The JSON shape of a saved model. */
export interface Seq2SeqDocument {
  readonly format: 'recurrent-seq2seq';
  readonly version: 1;
  readonly options: Omit<Seq2SeqOptions, 'kernels'>;
  /** Parameter name → values, for every encoder and decoder parameter (decoder names prefixed `decoder.`). */
  readonly params: Record<string, number[]>;
  readonly extra?: Record<string, unknown>;
}

/** The document of a model built with `options`. */
export function seq2seqToJson(model: Seq2Seq, options: Omit<Seq2SeqOptions, 'kernels'>, extra?: Record<string, unknown>): Seq2SeqDocument {
  const params: Record<string, number[]> = {};
  const put = (set: ParamSet, prefix: string): void => {
    for (const e of set.entries) params[prefix + e.name] = Array.from(set.view(e.name));
  };
  put(model.encoder.params, '');
  put(model.decoder.params, 'decoder.');
  return { format: 'recurrent-seq2seq', version: 1, options, params, ...(extra ? { extra } : {}) };
}

/** Rebuilds a model from {@link seq2seqToJson}'s document; every parameter must be present with the right size. */
export function seq2seqFromJson(doc: unknown): { model: Seq2Seq; extra: Record<string, unknown> } {
  const d = doc as Partial<Seq2SeqDocument> | null;
  if (!d || d.format !== 'recurrent-seq2seq') throw new FormatError('not a recurrent seq2seq model file (format field missing or different)');
  if (d.version !== 1) throw new FormatError(`seq2seq model file version ${String(d.version)} is not supported (this build reads version 1)`);
  if (!d.options || !d.params) throw new FormatError('seq2seq model file lacks "options" or "params"');
  if (typeof d.params !== 'object' || Array.isArray(d.params)) throw new FormatError('seq2seq model file: "params" must be an object of number arrays');
  // new Seq2Seq allocates what the options claim: first check that the file holds at least the
  // recurrent matrices W (H×H) of encoder and decoder, so a small file cannot ask for gigabytes
  const present = Object.values(d.params).reduce((n: number, v) => n + (Array.isArray(v) ? v.length : 0), 0);
  const H = d.options.hiddenSize;
  if (typeof H === 'number' && Number.isFinite(H) && 2 * H * H > present) {
    throw new FormatError(`seq2seq model file: options.hiddenSize ${H} needs at least 2·H² = ${2 * H * H} parameter values, but the file holds ${present}`);
  }
  const model = new Seq2Seq(d.options);
  const take = (set: ParamSet, prefix: string): void => {
    for (const e of set.entries) {
      const v = d.params![prefix + e.name];
      if (!Array.isArray(v) || v.length !== e.size) throw new FormatError(`parameter ${prefix + e.name}: expected ${e.size} values, found ${Array.isArray(v) ? v.length : 'none'}`);
      const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
      if (bad >= 0) throw new FormatError(`parameter ${prefix + e.name}: value ${bad} is ${JSON.stringify(v[bad])}, not a finite number`);
      set.view(e.name).set(v);
    }
  };
  take(model.encoder.params, '');
  take(model.decoder.params, 'decoder.');
  return { model, extra: d.extra ?? {} };
}
