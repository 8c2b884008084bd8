import { describe, expect, it } from 'vitest'
import { applyProfilePatch, MAX_ATTRIBUTES, profileView, type StoredProfile } from './apply-profile-patch.js'

const empty: StoredProfile = { name: null, attributes: {} }

describe('applyProfilePatch', () => {
  it('sets the name and merges attributes, null removing one', () => {
    const first = applyProfilePatch(empty, {}, { name: 'Alice', attributes: { plan: 'free', seats: 3, beta: true } })
    expect(first).toEqual({ kind: 'updated', profile: { name: 'Alice', attributes: { plan: 'free', seats: 3, beta: true } } })
    if (first.kind !== 'updated') throw new Error('unreachable')
    const second = applyProfilePatch(first.profile, {}, { attributes: { plan: 'pro', beta: null } })
    expect(second).toEqual({ kind: 'updated', profile: { name: 'Alice', attributes: { plan: 'pro', seats: 3 } } })
  })

  it('leaves what the patch does not name; null clears the name', () => {
    const current: StoredProfile = { name: 'Alice', attributes: { a: 1 } }
    expect(applyProfilePatch(current, {}, {})).toEqual({ kind: 'updated', profile: current })
    expect(applyProfilePatch(current, {}, { name: null })).toEqual({ kind: 'updated', profile: { name: null, attributes: { a: 1 } } })
  })

  it('refuses to change or remove a signed attribute', () => {
    const signed = { plan: 'enterprise', limits: { seats: 10 } }
    expect(applyProfilePatch(empty, signed, { attributes: { plan: 'free' } })).toEqual({ kind: 'signed_attribute', attribute: 'plan' })
    expect(applyProfilePatch(empty, signed, { attributes: { plan: null } })).toEqual({ kind: 'signed_attribute', attribute: 'plan' })
    expect(applyProfilePatch(empty, signed, { attributes: { limits: 'none' } })).toEqual({ kind: 'signed_attribute', attribute: 'limits' })
    expect(applyProfilePatch(empty, { n: 1 }, { attributes: { n: '1' } })).toEqual({ kind: 'signed_attribute', attribute: 'n' })
  })

  it('accepts a signed attribute sent back with its signed value, without storing a copy', () => {
    expect(applyProfilePatch(empty, { plan: 'enterprise' }, { attributes: { plan: 'enterprise', color: 'blue' } })).toEqual({
      kind: 'updated',
      profile: { name: null, attributes: { color: 'blue' } },
    })
  })

  it('treats a signed name like any signed attribute', () => {
    expect(applyProfilePatch(empty, { name: 'Alice A.' }, { name: 'Mallory' })).toEqual({ kind: 'signed_attribute', attribute: 'name' })
    expect(applyProfilePatch(empty, { name: 'Alice A.' }, { name: null })).toEqual({ kind: 'signed_attribute', attribute: 'name' })
    expect(applyProfilePatch(empty, { name: 'Alice A.' }, { name: 'Alice A.' }).kind).toBe('updated')
  })

  it('bounds the number of attributes of the result', () => {
    const full = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES }, (_, i) => [`k${i}`, i]))
    const at = applyProfilePatch(empty, {}, { attributes: full })
    expect(at.kind).toBe('updated')
    if (at.kind !== 'updated') throw new Error('unreachable')
    expect(applyProfilePatch(at.profile, {}, { attributes: { one_more: 1 } })).toMatchObject({ kind: 'too_large', message: /at most 50/ })
    expect(applyProfilePatch(at.profile, {}, { attributes: { one_more: 1, k0: null } }).kind).toBe('updated')
  })

  it('bounds the size of the result as JSON', () => {
    const big = { a: 'x'.repeat(4000), b: 'y'.repeat(4000) }
    const first = applyProfilePatch(empty, {}, { attributes: big })
    expect(first.kind).toBe('updated')
    if (first.kind !== 'updated') throw new Error('unreachable')
    expect(applyProfilePatch(first.profile, {}, { attributes: { c: 'z'.repeat(300) } })).toMatchObject({ kind: 'too_large', message: /8 KiB/ })
    // Multi-byte text counts in bytes.
    expect(applyProfilePatch(empty, {}, { attributes: { a: 'é'.repeat(4100) } }).kind).toBe('too_large')
  })

  it('keeps an attribute called __proto__ as an ordinary attribute', () => {
    const outcome = applyProfilePatch({ name: null, attributes: JSON.parse('{"__proto__": "x"}') }, {}, { attributes: { a: 1 } })
    expect(outcome.kind).toBe('updated')
    if (outcome.kind !== 'updated') throw new Error('unreachable')
    expect(Object.keys(outcome.profile.attributes).sort()).toEqual(['__proto__', 'a'])
    expect(Object.getPrototypeOf(outcome.profile.attributes)).toBe(Object.prototype)
  })
})

describe('profileView', () => {
  it('merges signed attributes over the messenger ones and shows which are signed', () => {
    expect(profileView({ name: 'Al', attributes: { plan: 'free', color: 'blue' } }, { plan: 'pro' })).toEqual({
      name: 'Al',
      attributes: { plan: 'pro', color: 'blue' },
      verified_attributes: { plan: 'pro' },
    })
  })
  it('a signed string name is the name', () => {
    expect(profileView({ name: 'Al', attributes: {} }, { name: 'Alice' }).name).toBe('Alice')
    expect(profileView({ name: 'Al', attributes: {} }, { name: 42 }).name).toBe('Al')
  })
})
