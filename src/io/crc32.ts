/**
 * CRC-32 (IEEE 802.3, the polynomial of zip, PNG and gzip: reflected
 * 0xEDB88320, initial value and final xor 0xFFFFFFFF). Detects every
 * single-bit error and every burst of up to 32 bits. Check value:
 * crc32("123456789") = 0xCBF43926.
 *
 * Computed eight bytes at a time ("slicing-by-8"): table k maps a byte to
 * the CRC of that byte followed by k zero bytes, so the eight lookups of
 * one 8-byte block can be xor-ed together.
 */

let tables: Uint32Array | null = null;

/** 8 tables of 256 entries; table 0 is the classic byte-at-a-time table. */
function crcTables(): Uint32Array {
  if (tables) return tables;
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!; // one more zero byte
    }
  }
  tables = t;
  return t;
}

/**
 * The CRC-32 of `bytes[start..end)` as an unsigned 32-bit integer. Pass the
 * previous result as `crc` to continue a checksum over several pieces.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const t = crcTables();
  let c = (crc ^ 0xffffffff) >>> 0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a = c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    c = t[7 * 256 + (a & 0xff)]! ^ t[6 * 256 + ((a >>> 8) & 0xff)]! ^ t[5 * 256 + ((a >>> 16) & 0xff)]! ^ t[4 * 256 + (a >>> 24)]! ^
      t[3 * 256 + bytes[i + 4]!]! ^ t[2 * 256 + bytes[i + 5]!]! ^ t[256 + bytes[i + 6]!]! ^ t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
