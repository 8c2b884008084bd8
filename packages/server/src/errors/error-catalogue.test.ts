import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CLI_ERROR_CATALOGUE, ERROR_CATALOGUE } from './error-catalogue.js'

// The catalogue and the documented contract must never disagree, in either direction.
const contract = readFileSync(new URL('../../../../docs/api.md', import.meta.url), 'utf8')
const documented = new Map<string, number>()
for (const [, status, codes] of contract.matchAll(/^\| (\d{3}) \| (`[a-z_]+`(?: \/ `[a-z_]+`)*) \|/gm)) {
  for (const code of codes!.matchAll(/`([a-z_]+)`/g)) documented.set(code[1]!, Number(status))
}

const documentedCli = new Map<string, number>()
for (const [, exit, code] of contract.matchAll(/^\| ([123]) \| `([a-z_]+)` \|/gm)) documentedCli.set(code!, Number(exit))

describe('CLI error catalogue', () => {
  it('equals the CLI error table of docs/api.md, exit codes included, in both directions', () => {
    expect(Object.fromEntries(documentedCli)).toEqual(Object.fromEntries(Object.entries(CLI_ERROR_CATALOGUE).map(([code, { exit }]) => [code, exit])))
  })

  it('never reuses an HTTP code, and has messages a person can act on', () => {
    for (const [code, { message }] of Object.entries(CLI_ERROR_CATALOGUE)) {
      expect(Object.keys(ERROR_CATALOGUE), code).not.toContain(code)
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/)
      expect(message).toMatch(/^[A-Z].*\.$/)
    }
  })
})

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
