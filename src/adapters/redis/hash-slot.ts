/**
 * Redis Cluster's key slots, and the hash tags that give each queue shard its own slot.
 *
 * A key's slot is CRC16 (XMODEM) of its hash tag (the text between the first `{` and the next `}`, if
 * not empty) or of the whole key, modulo 16384. Keys with the same tag share a slot, so one Lua script
 * may touch them all. `shardTags(n)` picks for shard k a tag `s<k>` (or `s<k>.<i>`, the first i that
 * fits) whose slot lies in the k-th n-th of the slot space: `redis-cli --cluster create` splits the slots
 * evenly, so with n shards on n masters each master serves one shard.
 *
 * @example
 * keySlot("faas:{s0}:queue") // 11097, the slot of "s0"
 * shardTags(3)               // ["s0.4", "s1.1", "s2.1"]: one tag per third of the slots
 */
export const SLOTS = 16384;

/** Most shards a deployment may have (tags are found by search: n² CRCs). */
export const MAX_SHARDS = 256;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** CRC16-CCITT (XMODEM) of the UTF-8 bytes of `text`, as Redis Cluster computes it. */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of new TextEncoder().encode(text)) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}

/** The cluster slot of `key` (its hash tag's, when it has one). */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % SLOTS;
  }
  return crc16(key) % SLOTS;
}

/** One hash tag per shard, shard k's slot in [k * 16384 / n, (k + 1) * 16384 / n). */
export function shardTags(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SHARDS) throw new Error(`shard count must be an integer from 1 to ${MAX_SHARDS}, got ${n}`);
  return Array.from({ length: n }, (_, k) => {
    const from = Math.floor((k * SLOTS) / n);
    const to = Math.floor(((k + 1) * SLOTS) / n);
    for (let i = 0; ; i++) {
      const tag = i === 0 ? `s${k}` : `s${k}.${i}`;
      const slot = crc16(tag) % SLOTS;
      if (slot >= from && slot < to) return tag;
    }
  });
}
