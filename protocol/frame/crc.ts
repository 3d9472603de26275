/**
 * Checksums of the DEF frame.
 *
 * CRC-8/SMBUS guards the 8 header bytes so a corrupted length is caught at once and the parser
 * resynchronises without waiting for bytes that will never come. CRC-32/ISO-HDLC (the zlib/Ethernet
 * CRC, also in most MCUs' CRC peripheral) guards the whole frame. Parameters are in docs/PROTOCOL.md.
 */

function buildCrc32Table(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

function buildCrc8Table(): Uint8Array {
  const table = new Uint8Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    table[n] = c;
  }
  return table;
}

const CRC32_TABLE = buildCrc32Table();
const CRC8_TABLE = buildCrc8Table();

/** CRC-32/ISO-HDLC: poly 0x04C11DB7 reflected, init 0xFFFFFFFF, xorout 0xFFFFFFFF. check("123456789") = 0xCBF43926. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC32_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-8/SMBUS: poly 0x07, init 0x00, no reflection, xorout 0x00. check("123456789") = 0xF4. */
export function crc8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0;
  for (let i = start; i < end; i++) c = CRC8_TABLE[c ^ bytes[i]!]!;
  return c;
}
