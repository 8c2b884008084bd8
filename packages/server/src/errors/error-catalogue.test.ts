import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE } from './error-catalogue.js'

// The catalogue and the documented contract must never disagree, in either direction.
const contract = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8')
const documented = new Map<string, number>()
for (const [, status, codes] of contract.matchAll(/^\| (\d{3}) \| (`[a-z_]+`(?: \/ `[a-z_]+`)*) \|/gm)) {
  for (const code of codes!.matchAll(/`([a-z_]+)`/g)) documented.set(code[1]!, Number(status))
}

describe('error catalogue', () => {
  it('documents every code with its status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) expect(documented.get(code), code).toBe(status)
  })

  it('implements every documented code', () => {
    expect(documented.size).toBeGreaterThan(10)
    for (const code of documented.keys()) expect(Object.keys(ERROR_CATALOGUE), code).toContain(code)
  })

  it('has default messages a person can act on, in snake_case codes', () => {
    for (const [code, { message }] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/)
      expect(message).toMatch(/^[A-Z].*\.$/)
    }
  })
})
