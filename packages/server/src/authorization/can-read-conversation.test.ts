import { describe, expect, it } from 'vitest'
import { canReadConversation, readableConversationFilter, spaceOf, type Reader } from './can-read-conversation.js'

const APP = 'app_a'
const OTHER_APP = 'app_b'
const D = 'dev_D'
const E = 'dev_E'

const verified = (identity: { uid?: string; email?: string }, aud = APP): Reader => ({ aud, trust: 'verified', ...identity })
const unverified = (identity: { uid?: string; email?: string }, did: string, aud = APP): Reader => ({ aud, trust: 'unverified', did, ...identity })
const anonymous = (did: string, aud = APP): Reader => ({ aud, trust: 'anonymous', did })

/** Can `reader` read a conversation that `creator` started? */
const reads = (reader: Reader, creator: Reader): boolean => canReadConversation(reader, spaceOf(creator)!)

describe('canReadConversation: the cases the contract names', () => {
  const alice = verified({ uid: 'alice' })

  it('a verified user reads what their verified sessions created, on any device and platform', () => {
    expect(reads(verified({ uid: 'alice' }), alice)).toBe(true)
    expect(reads({ ...verified({ uid: 'alice' }), plt: 'ios' } as Reader, { ...alice, plt: 'web' } as Reader)).toBe(true)
  })

  it('verified identities compare by the namespaced identity: user id wins over email', () => {
    expect(reads(verified({ uid: 'alice', email: 'a@example.com' }), alice)).toBe(true)
    expect(reads(verified({ uid: 'alice', email: 'other@example.com' }), alice)).toBe(true)
    expect(reads(verified({ email: 'a@example.com' }), verified({ uid: 'alice', email: 'a@example.com' }))).toBe(false)
  })

  it('another verified user reads nothing of it', () => {
    expect(reads(verified({ uid: 'bob' }), alice)).toBe(false)
  })

  it('a user id and an email are different users, even when equal as strings', () => {
    expect(reads(verified({ email: 'alice' }), alice)).toBe(false)
    expect(reads(alice, verified({ email: 'alice' }))).toBe(false)
  })

  it('the same user id in another app is another user', () => {
    expect(reads(verified({ uid: 'alice' }, OTHER_APP), alice)).toBe(false)
    expect(reads(alice, verified({ uid: 'alice' }, OTHER_APP))).toBe(false)
    expect(reads(anonymous(D, OTHER_APP), anonymous(D))).toBe(false)
    expect(reads(unverified({ uid: 'alice' }, D, OTHER_APP), unverified({ uid: 'alice' }, D))).toBe(false)
  })

  it('an unverified claim to the verified user reads none of theirs, and the verified user none of its', () => {
    expect(reads(unverified({ uid: 'alice' }, D), alice)).toBe(false)
    expect(reads(alice, unverified({ uid: 'alice' }, D))).toBe(false)
  })

  it('an unverified session reads what was created on its own device under the same claimed identity', () => {
    expect(reads(unverified({ uid: 'alice' }, D), unverified({ uid: 'alice' }, D))).toBe(true)
    expect(reads(unverified({ uid: 'alice', email: 'x@example.com' }, D), unverified({ uid: 'alice' }, D))).toBe(true)
  })

  it('the same claim on another device reads nothing', () => {
    expect(reads(unverified({ uid: 'alice' }, E), unverified({ uid: 'alice' }, D))).toBe(false)
  })

  it('one device holds several identities, each in its own space', () => {
    const spaces = [unverified({ uid: 'alice' }, D), anonymous(D), unverified({ uid: 'bob' }, D), unverified({ email: 'alice' }, D)]
    for (const reader of spaces) {
      for (const creator of spaces) expect(reads(reader, creator)).toBe(reader === creator)
    }
  })

  it('an anonymous visitor reads only what was created anonymously on its own device', () => {
    expect(reads(anonymous(D), anonymous(D))).toBe(true)
    expect(reads(anonymous(E), anonymous(D))).toBe(false)
    expect(reads(anonymous(D), alice)).toBe(false)
    expect(reads(alice, anonymous(D))).toBe(false)
  })
})

describe('canReadConversation: sessions whose claims do not hang together read nothing', () => {
  const incoherent: Reader[] = [
    { aud: APP, trust: 'verified' },
    { aud: APP, trust: 'verified', did: D },
    { aud: APP, trust: 'unverified', uid: 'alice' },
    { aud: APP, trust: 'unverified', did: D },
    { aud: APP, trust: 'unverified', uid: 'alice', did: '' },
    { aud: APP, trust: 'anonymous' },
    { aud: APP, trust: 'anonymous', did: D, uid: 'alice' },
    { aud: APP, trust: 'root' as never, uid: 'alice', did: D },
  ]
  it.each(incoherent.map((r) => [JSON.stringify(r), r] as const))('%s', (_, reader) => {
    expect(spaceOf(reader)).toBeNull()
    expect(readableConversationFilter(reader)).toBeNull()
    for (const creator of [verified({ uid: 'alice' }), unverified({ uid: 'alice' }, D), anonymous(D)]) {
      expect(reads(reader, creator)).toBe(false)
    }
    // Even a conversation row that happens to carry the same (incoherent) columns.
    expect(canReadConversation(reader, { app_id: APP, trust: reader.trust, user_key: null, device_id: reader.did ?? null })).toBe(false)
  })
  it('a verified session never carries its device into the space', () => {
    expect(spaceOf(verified({ uid: 'alice' }))!.device_id).toBeNull()
  })
})

describe('canReadConversation: every pair of sessions', () => {
  // Written independently of the implementation: the contract's sentence, over raw claims.
  const identityOf = (r: Reader): string | null => (r.uid !== undefined ? `user id ${r.uid}` : r.email !== undefined ? `email ${r.email}` : null)
  const oracle = (reader: Reader, creator: Reader): boolean => {
    if (reader.aud !== creator.aud) return false
    if (reader.trust === 'verified' || creator.trust === 'verified') {
      return reader.trust === creator.trust && identityOf(reader) === identityOf(creator)
    }
    return reader.did === creator.did && identityOf(reader) === identityOf(creator) && reader.trust === creator.trust
  }

  const identities: { uid?: string; email?: string }[] = [
    { uid: 'alice' },
    { uid: 'bob' },
    { email: 'alice' },
    { email: 'alice@example.com' },
    { uid: 'alice', email: 'alice@example.com' },
    { uid: 'uid:alice' },
    { email: 'uid:alice' },
  ]
  const sessions: Reader[] = []
  for (const aud of [APP, OTHER_APP]) {
    for (const identity of identities) {
      sessions.push(verified(identity, aud))
      for (const did of [D, E]) sessions.push(unverified(identity, did, aud))
    }
    for (const did of [D, E]) sessions.push(anonymous(did, aud))
  }

  it(`agrees with the contract on all ${sessions.length * sessions.length} pairs`, () => {
    let readable = 0
    for (const reader of sessions) {
      for (const creator of sessions) {
        const expected = oracle(reader, creator)
        if (reads(reader, creator) !== expected) {
          throw new Error(`${JSON.stringify(reader)} reading what ${JSON.stringify(creator)} created: expected ${expected}`)
        }
        if (expected) readable++
      }
    }
    // Sanity: the oracle is not trivially false.
    expect(readable).toBeGreaterThan(sessions.length)
  })

  it('the list filter is exactly the creator space of the same session', () => {
    for (const s of sessions) expect(readableConversationFilter(s)).toEqual(spaceOf(s))
  })

  it('namespaced keys cannot collide: a user id that looks like a prefixed key stays its own user', () => {
    expect(reads(verified({ uid: 'email:alice' }), verified({ email: 'alice' }))).toBe(false)
    expect(reads(verified({ email: 'uid:alice' }), verified({ uid: 'alice' }))).toBe(false)
  })
})
