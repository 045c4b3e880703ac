/**
 * Redis Cluster's key slots, computed as the server does (CRC16/XMODEM of the key, or of its hash tag, modulo 16384),
 * and a tag for every slot: `{<slotTag(s)>}` in a key's name puts that key on slot s. See docs/design/redis-cluster.md.
 */

export const SLOT_COUNT = 16_384;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16/XMODEM (polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys with. */
export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

const encoder = new TextEncoder();

/**
 * The part of `key` that decides its slot: the text between the first `{` and the first `}` after it when that text
 * is not empty, else the whole key (Redis' hash-tag rule).
 */
export function hashedPart(key: string): string {
  const open = key.indexOf("{");
  if (open < 0) return key;
  const close = key.indexOf("}", open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** The slot of `key` (0 to 16383). */
export function keySlot(key: string): number {
  return crc16(encoder.encode(hashedPart(key))) % SLOT_COUNT;
}

let slotTags: string[] | undefined;

/**
 * The shortest tag (in base 36, the first found counting up) whose slot is `slot`: the same on every process, so a
 * per-slot key has one name everywhere.
 */
export function slotTag(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`no slot ${slot}`);
  if (!slotTags) {
    const tags = new Array<string>(SLOT_COUNT);
    let found = 0;
    for (let n = 0; found < SLOT_COUNT; n++) {
      const tag = n.toString(36);
      const tagSlot = keySlot(tag);
      if (tags[tagSlot] === undefined) {
        tags[tagSlot] = tag;
        found++;
      }
    }
    slotTags = tags;
  }
  return slotTags[slot]!;
}
