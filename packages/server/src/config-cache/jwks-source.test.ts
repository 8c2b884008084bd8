import { generateKeyPairSync } from 'node:crypto'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { readPublicJwk, type PublicJwk } from '../verification/public-jwk.js'
import { jwksMaxAge, readJwks, type FetchedJwks } from './fetch-jwks.js'
import { JwksSource } from './jwks-source.js'

const HOUR = 3600_000
const jwkOf = (kid: string) => ({ ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid })
const read = (kid: string) => readPublicJwk(jwkOf(kid)) as PublicJwk

/** A JWKS endpoint as the source sees it: answers, fails, or hangs until told, on a test clock. */
function harness(maxAgeMs = HOUR) {
  let now = 1_000_000
  let answer: FetchedJwks | Error = { keys: [read('a')], maxAgeMs, skipped: 0 }
  let fetches = 0
  const source = new JwksSource('pk_1', 'https://keys.example.com/jwks.json', {
    now: () => now,
    logger: pino({ level: 'silent' }),
    fetch: async () => {
      fetches++
      if (answer instanceof Error) throw answer
      return answer
    },
  })
  return {
    source,
    advance: (ms: number) => (now += ms),
    answer: (a: FetchedJwks | Error) => (answer = a),
    fetches: () => fetches,
  }
}

describe('JwksSource', () => {
  it('answers unreachable before its first fetch, then serves the fetched kids', async () => {
    const h = harness()
    expect(h.source.lookup('a').kind).toBe('unreachable')
    await h.source.refetch()
    expect(h.source.lookup('a')).toMatchObject({ kind: 'found', key: { registrationId: 'pk_1', kid: 'a', algorithm: 'EdDSA' } })
    expect(h.source.lookup('b').kind).toBe('unknown')
    expect(h.fetches()).toBe(1)
  })

  it('refetches at most once a minute, sharing one fetch between callers', async () => {
    const h = harness()
    const first = h.source.refetch()
    expect(h.source.refetch()).toBe(first)
    await first
    expect(h.source.refetch()).toBeNull()
    h.advance(59_999)
    expect(h.source.refetch()).toBeNull()
    h.advance(1)
    await h.source.refetch()
    expect(h.fetches()).toBe(2)
  })

  it('refreshes in the background once stale, keeps the last keys through an outage for 24 h after the last good fetch, then is unreachable', async () => {
    const h = harness(HOUR)
    await h.source.refetch()
    h.answer(new Error('HTTP 503'))
    h.advance(HOUR)
    // Stale: the lookup still answers from memory and starts one fetch, which fails.
    expect(h.source.lookup('a').kind).toBe('found')
    await h.source.refetch()
    expect(h.source.status().lastError).toBe('HTTP 503')
    h.advance(22 * HOUR)
    expect(h.source.lookup('a').kind).toBe('found')
    h.advance(HOUR - 1)
    expect(h.source.lookup('a').kind).toBe('found')
    h.advance(1)
    expect(h.source.lookup('a').kind).toBe('unreachable')
    expect(h.source.lookup('zzz').kind).toBe('unreachable')
    // The fetch those lookups started has failed too.
    await new Promise((resolve) => setImmediate(resolve))
    // The URL answers again; the next fetch (a minute after the last attempt) restores the keys.
    h.answer({ keys: [read('a2')], maxAgeMs: HOUR, skipped: 0 })
    h.advance(60_000)
    await h.source.refetch()
    expect(h.source.lookup('a2').kind).toBe('found')
    expect(h.source.lookup('a').kind).toBe('unknown')
    expect(h.source.status().lastError).toBeNull()
  })

  it('drops a key the JWKS no longer serves at the next fetch', async () => {
    const h = harness(5 * 60_000)
    await h.source.refetch()
    h.answer({ keys: [read('b')], maxAgeMs: 5 * 60_000, skipped: 0 })
    h.advance(5 * 60_000)
    h.source.lookup('a')
    await h.source.refetch()
    expect(h.source.lookup('a').kind).toBe('unknown')
    expect(h.source.lookup('b').kind).toBe('found')
  })
})

describe('jwksMaxAge and readJwks', () => {
  it('clamps Cache-Control max-age between 5 minutes and 24 hours', () => {
    expect(jwksMaxAge(undefined)).toBe(5 * 60_000)
    expect(jwksMaxAge('no-store')).toBe(5 * 60_000)
    expect(jwksMaxAge('max-age=10')).toBe(5 * 60_000)
    expect(jwksMaxAge('public, max-age=3600')).toBe(HOUR)
    expect(jwksMaxAge('max-age=31536000, immutable')).toBe(24 * HOUR)
    expect(jwksMaxAge('s-maxage=3600')).toBe(5 * 60_000)
  })

  it('keeps P-256 and Ed25519 signing keys with a kid, and drops a kid served twice', () => {
    const ec = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'ec' }
    const rsa = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'rsa' }
    const twice = jwkOf('twice')
    const read = readJwks(Buffer.from(JSON.stringify({ keys: [ec, rsa, jwkOf(''), { ...ec, kid: 'enc', use: 'enc' }, twice, jwkOf('twice')] })))
    expect(read.keys.map((k) => k.kid)).toEqual(['ec'])
    expect(read.skipped).toBe(5)
    expect(() => readJwks(Buffer.from('[]'))).toThrow(/no "keys"/)
    expect(() => readJwks(Buffer.from(JSON.stringify({ keys: Array.from({ length: 101 }, () => ec) })))).toThrow(/at most 100/)
  })
})
