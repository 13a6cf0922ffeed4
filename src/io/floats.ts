/**
 * Typed arrays to and from little-endian IEEE-754 bytes, bit for bit. On a
 * little-endian host (every browser and Node platform in practice) this is
 * a byte copy, which keeps even NaN payloads; elsewhere a DataView loop,
 * which may canonicalise NaNs.
 */

import type { Float } from '../core/tensor.js';

/** Whether this machine stores numbers little-endian. */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(a: Float): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes `data` as little-endian floats of its own width into `out` at byte `offset`. */
export function writeFloatsLE(out: Uint8Array, offset: number, data: Float, byteCopy = LITTLE_ENDIAN_HOST): void {
  if (byteCopy) {
    out.set(bytesOf(data), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) view.setFloat64(offset + 8 * i, data[i]!, true);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(offset + 4 * i, data[i]!, true);
  }
}

/** Fills `out` from little-endian floats of its width in `bytes` at byte `offset` (any alignment). */
export function readFloatsLE(bytes: Uint8Array, offset: number, out: Float, byteCopy = LITTLE_ENDIAN_HOST): void {
  if (byteCopy) {
    bytesOf(out).set(bytes.subarray(offset, offset + out.byteLength));
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (out instanceof Float64Array) {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(offset + 8 * i, true);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(offset + 4 * i, true);
  }
}
