/**
 * The byte helpers of src/io, for `npm run mutate -- io`: crc32.ts against
 * its published check value and a bit-at-a-time reference (every length
 * 0…40, so the 8-byte blocks and the byte tail both run, and ranges inside
 * a longer buffer), floats.ts by exact bytes (hand-written little-endian
 * encodings, both paths, unaligned offsets, neighbours left untouched).
 * Pure functions only: the file runs in well under a second.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from '../src/io/crc32.js';
import { LITTLE_ENDIAN_HOST, readFloatsLE, writeFloatsLE } from '../src/io/floats.js';

/** CRC-32 one bit at a time: reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF. */
function referenceCrc(bytes: ArrayLike<number>, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c ^= bytes[i]!;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? ((c >>> 1) ^ 0xedb88320) >>> 0 : c >>> 1;
  }
  return ~c >>> 0;
}

/** 0, 1, 2, … as bytes, scrambled so that every table entry position gets used. */
function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 151 + 7 * (i >> 3) + 13) & 0xff);
}

test('crc32: the check values, and a bit-at-a-time reference for every length 0…40', () => {
  const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
  assert.equal(crc32(ascii('123456789')), 0xcbf43926); // the standard check value: one 8-byte block, one tail byte
  assert.equal(crc32(ascii('12345678')), 0x9ae0daaf); // exactly one block, no tail
  assert.equal(crc32(ascii('a')), 0xe8b7be43);
  assert.equal(crc32(ascii('The quick brown fox jumps over the lazy dog')), 0x414fa339);
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(new Uint8Array(32)), 0x190a55ad); // 32 zero bytes
  assert.equal(crc32(new Uint8Array(8).fill(0xff)), referenceCrc(new Uint8Array(8).fill(0xff)));
  for (let n = 0; n <= 40; n++) {
    const data = pattern(n);
    assert.equal(crc32(data), referenceCrc(data), `length ${n}`);
  }
  // every byte value in every one of the 8 positions of a block
  const all = Uint8Array.from({ length: 256 * 8 + 3 }, (_, i) => (i * 41 + (i >> 8)) & 0xff);
  assert.equal(crc32(all), referenceCrc(all));
});

test('crc32: a range [start, end) inside a longer buffer, and a checksum continued across pieces', () => {
  const data = pattern(50);
  for (const [start, end] of [[0, 9], [3, 20], [5, 13], [7, 8], [16, 50], [1, 49], [10, 10]] as const) {
    assert.equal(crc32(data, start, end), referenceCrc(data.subarray(start, end)), `[${start}, ${end})`);
  }
  assert.equal(crc32(data, 30), referenceCrc(data.subarray(30)), 'end defaults to the length');
  for (const cut of [0, 1, 8, 9, 17, 50]) {
    const first = crc32(data, 0, cut);
    assert.equal(crc32(data, cut, data.length, first), crc32(data), `continued at ${cut}`);
    assert.equal(referenceCrc(data.subarray(cut), first), crc32(data));
  }
  // the bytes outside the range do not count: change them and the CRC stays
  const changed = data.slice();
  changed[2] ^= 0xff;
  changed[20] ^= 0xff;
  assert.equal(crc32(changed, 3, 20), crc32(data, 3, 20));
  // a subarray at an offset into its buffer
  const view = data.subarray(5, 31);
  assert.equal(crc32(view), referenceCrc(data.subarray(5, 31)));
  // the tables are built once and reused: the same answers the second time round
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('floats: the host is little-endian, and the default path is the byte copy', () => {
  assert.equal(LITTLE_ENDIAN_HOST, true);
  // a signalling NaN: the byte copy keeps its bits; a float conversion (the DataView path) makes it quiet
  const sNaN = new Float32Array(new Uint32Array([0x7f800001]).buffer);
  const out = new Uint8Array(4);
  writeFloatsLE(out, 0, sNaN);
  assert.deepEqual(Array.from(out), [0x01, 0x00, 0x80, 0x7f]);
  writeFloatsLE(out, 0, sNaN, true);
  assert.deepEqual(Array.from(out), [0x01, 0x00, 0x80, 0x7f]);
  writeFloatsLE(out, 0, sNaN, false);
  assert.equal(out[2]! & 0x40, 0x40, 'the DataView path stores a quiet NaN');
  assert.equal(out[3], 0x7f);
  const back = new Float32Array(1);
  readFloatsLE(new Uint8Array([0x01, 0x00, 0x80, 0x7f]), 0, back);
  assert.equal(new Uint32Array(back.buffer)[0], 0x7f800001);
  readFloatsLE(new Uint8Array([0x01, 0x00, 0x80, 0x7f]), 0, back, true);
  assert.equal(new Uint32Array(back.buffer)[0], 0x7f800001);
  readFloatsLE(new Uint8Array([0x01, 0x00, 0x80, 0x7f]), 0, back, false);
  assert.equal(new Uint32Array(back.buffer)[0]! & 0x7fc00000, 0x7fc00000, 'the DataView path reads a quiet NaN');
});

// 1.5 = 0x3FC00000 (float32) = 0x3FF8000000000000 (float64); −2 = 0xC0000000 = 0xC000000000000000;
// 0.1f = 0x3DCCCCCD; 0.1 = 0x3FB999999999999A
const F32 = { values: [1.5, -2, 0.1], bytes: [0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, 0xcd, 0xcc, 0xcc, 0x3d] };
const F64 = {
  values: [1.5, -2, 0.1],
  bytes: [0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0x00, 0xc0, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f],
};

test('floats: writes little-endian float32 and float64 bytes at an unaligned offset, by either path, and touches nothing else', () => {
  for (const byteCopy of [true, false]) {
    for (const [make, ref] of [[(v: number[]) => Float32Array.from(v), F32], [(v: number[]) => Float64Array.from(v), F64]] as const) {
      const out = new Uint8Array(3 + ref.bytes.length + 5).fill(0xee);
      writeFloatsLE(out, 3, make(ref.values), byteCopy);
      assert.deepEqual(Array.from(out), [0xee, 0xee, 0xee, ...ref.bytes, 0xee, 0xee, 0xee, 0xee, 0xee], `byteCopy ${byteCopy}, ${ref.bytes.length / 3}-byte floats`);
      // into a view that starts inside its buffer: offsets count from the view
      const big = new Uint8Array(ref.bytes.length + 16).fill(0xee);
      writeFloatsLE(big.subarray(5, 5 + ref.bytes.length + 2), 1, make(ref.values), byteCopy);
      assert.deepEqual(Array.from(big.subarray(6, 6 + ref.bytes.length)), ref.bytes);
      assert.deepEqual([big[5], big[6 + ref.bytes.length]], [0xee, 0xee]);
    }
  }
});

test('floats: reads little-endian float32 and float64 bytes at an unaligned offset, by either path, exactly as many as the array holds', () => {
  for (const byteCopy of [true, false]) {
    for (const [make, ref] of [[(n: number) => new Float32Array(n), F32], [(n: number) => new Float64Array(n), F64]] as const) {
      // the bytes end exactly where the floats do: no read past the end
      const src = Uint8Array.from([0x11, 0x22, ...ref.bytes]);
      const out = make(3);
      readFloatsLE(src, 2, out, byteCopy);
      assert.deepEqual(Array.from(out), ref.values.map((v) => (out instanceof Float32Array ? Math.fround(v) : v)), `byteCopy ${byteCopy}`);
      // a view into a larger buffer, the floats followed by other bytes that must not be read
      const big = new Uint8Array(ref.bytes.length + 12).fill(0x40);
      big.set(ref.bytes, 7);
      const two = make(2);
      readFloatsLE(big.subarray(4), 3, two, byteCopy);
      assert.deepEqual(Array.from(two), [1.5, -2]);
      // a subarray as the destination: only its own elements are filled
      const whole = make(4).fill(9);
      readFloatsLE(src, 2, whole.subarray(1, 3), byteCopy);
      assert.deepEqual(Array.from(whole), [9, 1.5, -2, 9]);
    }
  }
});
