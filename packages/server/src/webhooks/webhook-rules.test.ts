import { describe, expect, it } from 'vitest'
import { isPrivateAddress, webhookUrlProblem } from './webhook-address.js'
import { nextAttemptAt } from './retry-schedule.js'

describe('webhook addresses', () => {
  it('knows loopback, link-local, private and unspecified addresses, mapped IPv4 included', () => {
    for (const ip of ['127.0.0.1', '127.9.9.9', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '[::1]']) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true])
    }
    for (const ip of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', 'example.com']) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, false])
    }
  })

  it('refuses http, credentials and private hosts unless development allows them', () => {
    expect(webhookUrlProblem('https://example.com/hook', false)).toBeNull()
    expect(webhookUrlProblem('http://example.com/hook', false)).toMatch(/https/)
    expect(webhookUrlProblem('https://user:pw@example.com/hook', false)).toMatch(/password/)
    expect(webhookUrlProblem('https://localhost:8443/', false)).toMatch(/private/)
    expect(webhookUrlProblem('not a url', false)).toMatch(/absolute URL/)
    expect(webhookUrlProblem('http://127.0.0.1:9000/', true)).toBeNull()
    expect(webhookUrlProblem('ftp://127.0.0.1/', true)).toMatch(/https/)
  })
})

describe('retry schedule', () => {
  const created = new Date('2026-01-01T00:00:00Z')
  const schedule = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000]
  it('waits longer after each failure, tries last at 24 hours, then stops', () => {
    let now = created
    const waits: number[] = []
    for (let attempts = 1; ; attempts++) {
      const next = nextAttemptAt(attempts, created, now, schedule)
      if (next === null) break
      waits.push(next.getTime() - now.getTime())
      now = next
    }
    const elapsed = 5_000 + 300_000 + 1_800_000 + 7_200_000 + 18_000_000 + 36_000_000
    expect(waits).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 24 * 3600_000 - elapsed])
    expect(now.getTime() - created.getTime()).toBe(24 * 3600_000)
  })
})
