import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { DeviceIds } from './device-ids.js'

describe('DeviceIds', () => {
  const ids = new DeviceIds(randomBytes(32))

  it('recognises its own device ids for the app they were issued for only', () => {
    const id = ids.issue('app_1')
    expect(ids.isIssued('app_1', id)).toBe(true)
    expect(ids.isIssued('app_2', id)).toBe(false)
    expect(new DeviceIds(randomBytes(32)).isIssued('app_1', id)).toBe(false)
  })

  it('carries at least 128 random bits, and made-up or altered ids are not recognised', () => {
    const a = ids.issue('app_1')
    const b = ids.issue('app_1')
    expect(a).not.toBe(b)
    expect(Buffer.from(a.slice(4), 'base64url').length).toBeGreaterThanOrEqual(32)
    const flipped = a.slice(0, 10) + (a[10] === 'A' ? 'B' : 'A') + a.slice(11)
    for (const forged of [flipped, 'dev_123', '', `dev_${'A'.repeat(43)}`]) expect(ids.isIssued('app_1', forged)).toBe(false)
  })
})
