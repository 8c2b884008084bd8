import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { keyOrder } from '../bench/lib/user-order.js'

const keyOf = (i: number): string => createHash('sha256').update(`user ${i}`).digest('base64url').slice(0, 22)

describe("the scale benchmark's write order", () => {
  it('puts every user once, by the first four characters of their keys as the databases compare them', () => {
    const from = 1_000
    const order = keyOrder(from, 20_000, keyOf)
    expect(order).toHaveLength(20_000)
    expect(new Set(order).size).toBe(20_000)
    expect(Math.max(...order)).toBe(19_999)
    const prefixes = Array.from(order, (k) => keyOf(from + k).slice(0, 4))
    // Buffer.compare is the byte order of SQLite and of PostgreSQL's collation C.
    for (let i = 1; i < prefixes.length; i++) expect(Buffer.compare(Buffer.from(prefixes[i - 1]!), Buffer.from(prefixes[i]!))).toBeLessThanOrEqual(0)
  })

  it('keeps users whose keys begin alike in number order', () => {
    const keys = ['Abcd-9', 'Abcd_1', '-zzz00', 'Abcd00']
    expect(Array.from(keyOrder(0, keys.length, (i) => keys[i]!))).toEqual([2, 0, 1, 3])
  })

  it('is shared memory, so every seeding worker reads the same order without a copy', () => {
    expect(keyOrder(0, 3, (i) => ['b', 'a', 'c'][i]!.repeat(4)).buffer).toBeInstanceOf(SharedArrayBuffer)
  })
})
