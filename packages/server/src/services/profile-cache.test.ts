import { describe, expect, it } from 'vitest'
import type { ProfileView } from '../profile/apply-profile-patch.js'
import { ProfileCache } from './profile-cache.js'

const view = (name: string): ProfileView => ({ name, attributes: {}, verified_attributes: {} })

describe('ProfileCache', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const cache = new ProfileCache({ maxEntries: 2 })
    cache.set('a', view('A'), cache.generation)
    cache.set('b', view('B'), cache.generation)
    expect(cache.get('a')?.name).toBe('A') // a is now the most recent
    cache.set('c', view('C'), cache.generation)
    expect(cache.size).toBe(2)
    expect(cache.get('b')).toBeUndefined()
    expect(cache.get('a')?.name).toBe('A')
    expect(cache.get('c')?.name).toBe('C')
  })

  it('does not keep a read that started before an invalidation, of any user', () => {
    const cache = new ProfileCache({ maxEntries: 10 })
    const before = cache.generation
    cache.invalidate('a')
    cache.set('a', view('old'), before)
    expect(cache.get('a')).toBeUndefined()
    const beforeClear = cache.generation
    cache.clear()
    cache.set('b', view('old'), beforeClear)
    expect(cache.get('b')).toBeUndefined()
    cache.set('b', view('new'), cache.generation)
    expect(cache.get('b')?.name).toBe('new')
  })

  it('serves an entry for ttlMs at most', () => {
    let now = 1_000
    const cache = new ProfileCache({ maxEntries: 10, ttlMs: 5_000, now: () => now })
    cache.set('a', view('A'), cache.generation)
    now += 4_999
    expect(cache.get('a')?.name).toBe('A')
    now += 1
    expect(cache.get('a')).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('serves and keeps nothing while it cannot hear of changes, and nothing with maxEntries 0', () => {
    let usable = true
    const cache = new ProfileCache({ maxEntries: 10, usable: () => usable })
    cache.set('a', view('A'), cache.generation)
    usable = false
    expect(cache.get('a')).toBeUndefined()
    cache.set('b', view('B'), cache.generation)
    usable = true
    expect(cache.get('b')).toBeUndefined()
    const none = new ProfileCache({ maxEntries: 0 })
    none.set('a', view('A'), none.generation)
    expect(none.get('a')).toBeUndefined()
    expect(none.size).toBe(0)
  })
})
