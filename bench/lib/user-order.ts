// The order in which the bulk loader writes the scale benchmark's users: by their stored keys, so
// that every index grows along its keys (see seed-statistics.ts). Sorting millions of key strings
// took 40 s per database at 9 million users; sorting numbers takes about one.

/** base64url's alphabet in the order SQLite and PostgreSQL (collation C) compare its characters. */
const ALPHABET_BY_CODE = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
const RANK = new Uint8Array(128)
for (let i = 0; i < ALPHABET_BY_CODE.length; i++) RANK[ALPHABET_BY_CODE.charCodeAt(i)] = i

/** Characters of a key compared: 24 bits, which leave room in a double for an index of 2^29 users. */
const PREFIX_CHARS = 4
const INDEX_RANGE = 2 ** 29

/**
 * The users `from` to `from + count - 1` in the order of the first four characters of their keys
 * (`keyOf(i)`), as offsets from `from`, in memory the seeding workers share. Users whose keys begin
 * alike stay in number order among themselves: the indexes still grow page after page.
 */
export function keyOrder(from: number, count: number, keyOf: (user: number) => string): Uint32Array {
  if (count > INDEX_RANGE) throw new Error(`at most ${INDEX_RANGE} users per step, not ${count}`)
  const packed = new Float64Array(count)
  for (let k = 0; k < count; k++) {
    const key = keyOf(from + k)
    let prefix = 0
    for (let c = 0; c < PREFIX_CHARS; c++) prefix = prefix * 64 + RANK[key.charCodeAt(c)]!
    packed[k] = prefix * INDEX_RANGE + k
  }
  packed.sort()
  const order = new Uint32Array(new SharedArrayBuffer(count * Uint32Array.BYTES_PER_ELEMENT))
  for (let rank = 0; rank < count; rank++) order[rank] = packed[rank]! % INDEX_RANGE
  return order
}
