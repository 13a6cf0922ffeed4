/**
 * Model files of other frameworks on disk (Node only): an `.onnx` file, a
 * `.safetensors` file, or a TF.js directory (`model.json` + its weight
 * shards). The converters themselves (src/io) work on bytes; this module
 * reads and writes the files, atomically, refusing to replace anything
 * without `force`, and puts the file's name in every error.
 */

import fs from 'node:fs';
import path from 'node:path';
import { FormatError, RecurrentError } from '../core/errors.js';
import { CHECKPOINT_MAGIC, type Checkpoint } from '../io/checkpoint.js';
import { exportOnnx, importOnnx } from '../io/onnx.js';
import { exportSafetensors, importSafetensors } from '../io/safetensors.js';
import { exportTfjs, importTfjs, tfjsShardPaths, TFJS_SHARD } from '../io/tfjs.js';
import { guardOutput, OutputRefusedError, writeFileAtomic } from './outputs.js';

/** The formats `rnnkit export` writes and `rnnkit import` reads. */
export const MODEL_FORMATS = ['onnx', 'tfjs', 'safetensors'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/**
 * The format of a file or directory: a directory or `model.json` is TF.js,
 * `.onnx` ONNX, `.safetensors` safetensors; otherwise the bytes decide (a
 * safetensors file starts with a header length and `{`).
 */
export function detectModelFormat(file: string): ModelFormat {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new FormatError(`${file}: no such file or directory`);
  }
  if (st.isDirectory() || path.basename(file) === 'model.json') return 'tfjs';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.safetensors') return 'safetensors';
  const head = Buffer.alloc(9);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, 9, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (CHECKPOINT_MAGIC.every((b, i) => head[i] === b)) throw new FormatError(`${file} is already an rnnkit model file; "rnnkit import" reads ONNX, TF.js and safetensors models`);
  if (head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(st.size)) return 'safetensors';
  return 'onnx';
}

/** Runs `read` and names `file` in any library error it throws. */
function naming<T>(file: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RecurrentError && !(e instanceof OutputRefusedError)) throw new FormatError(`${file}: ${e.message}`);
    throw e;
  }
}

/** Reads an ONNX, safetensors or TF.js model into a checkpoint; `format` defaults to {@link detectModelFormat}. */
export function readModelFormat(file: string, format: ModelFormat = detectModelFormat(file)): Checkpoint {
  if (format !== 'tfjs') return naming(file, () => (format === 'onnx' ? importOnnx : importSafetensors)(fs.readFileSync(file)));
  const jsonFile = fs.statSync(file).isDirectory() ? path.join(file, 'model.json') : file;
  const dir = path.dirname(jsonFile);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  } catch (e) {
    throw new FormatError(`${jsonFile}: TF.js: model.json cannot be read as JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const shards = naming(jsonFile, () => tfjsShardPaths(json)).map((p) => {
    const shard = path.resolve(dir, p);
    if (path.relative(dir, shard).startsWith('..') || path.isAbsolute(p)) throw new FormatError(`${jsonFile}: TF.js: weight shard path ${JSON.stringify(p)} leaves the model's folder`);
    if (!fs.existsSync(shard)) throw new FormatError(`${jsonFile}: TF.js: weight shard ${p} is missing next to model.json`);
    return fs.readFileSync(shard);
  });
  return naming(jsonFile, () => importTfjs(json, new Uint8Array(Buffer.concat(shards))));
}

/** Options of {@link writeModelFormat}. */
export interface WriteModelFormatOptions {
  /** Replace an existing output. */
  readonly force?: boolean;
  /** Files this run reads; the output may be none of them. */
  readonly inputs?: readonly string[];
}

/**
 * Writes a checkpoint's network as `format` to `out`: a file for ONNX and
 * safetensors, a directory (created if needed) holding `model.json` and
 * `weights.bin` for TF.js. Refuses (OutputRefusedError) an existing output
 * unless `force`. Returns the files written.
 */
export async function writeModelFormat(checkpoint: Checkpoint, format: ModelFormat, out: string, options: WriteModelFormatOptions = {}): Promise<string[]> {
  const inputs = options.inputs ?? [];
  if (format !== 'tfjs') {
    if (fs.existsSync(out) && !options.force) throw new OutputRefusedError(`output ${out} already exists; add --force to replace it, or choose another path`);
    guardOutput(out, { role: 'file', inputs, force: true });
    const bytes = format === 'onnx' ? exportOnnx(checkpoint) : exportSafetensors(checkpoint);
    await writeFileAtomic(out, bytes);
    return [out];
  }
  const model = exportTfjs(checkpoint);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(out);
  } catch {
    st = undefined;
  }
  if (st && !st.isDirectory()) throw new OutputRefusedError(`output ${out} is a file; a TF.js model is a folder (model.json and ${TFJS_SHARD}), so choose a folder path`);
  const jsonFile = path.join(out, 'model.json');
  const shard = path.join(out, TFJS_SHARD);
  if (!options.force && (fs.existsSync(jsonFile) || fs.existsSync(shard))) throw new OutputRefusedError(`output ${out} already holds a TF.js model; add --force to replace it, or choose another folder`);
  if (!st) fs.mkdirSync(out, { recursive: true });
  for (const f of [shard, jsonFile]) guardOutput(f, { role: 'file', inputs, force: true });
  // The shard first: model.json appears only once its weights are complete.
  await writeFileAtomic(shard, model.weightData);
  await writeFileAtomic(jsonFile, JSON.stringify(model.modelJson));
  return [jsonFile, shard];
}
