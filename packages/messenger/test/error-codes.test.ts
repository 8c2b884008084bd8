// The codes a VerityError can carry are the codes the server's messenger routes declare, plus the
// SDK's own; the README's table lists exactly those. A new server code breaks this test until the
// SDK and its README know it.
import { readFileSync } from 'node:fs'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { ERROR_CATALOGUE } from '../../server/src/errors/error-catalogue.js'
import { VERITY_ERROR_CODES } from '../src/index.js'
import { startTestServer, type TestServer } from './support.js'

const SDK_OWN = ['network_error', 'unexpected_response', 'streaming_unsupported']
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server?.close()
})

/** Every error code that an operation under /v1/messenger declares in the OpenAPI document. */
async function messengerRouteCodes(): Promise<Set<string>> {
  const document = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, { 'x-error-codes'?: string[] }> }>>
  }
  const codes = new Set<string>()
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith('/v1/messenger')) continue
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses)) for (const code of response['x-error-codes'] ?? []) codes.add(code)
    }
  }
  return codes
}

describe('VerityError codes', () => {
  it('are every code the messenger routes declare, internal_error, and the SDK\'s own', async () => {
    const expected = new Set([...(await messengerRouteCodes()), 'internal_error', ...SDK_OWN])
    expect(new Set(VERITY_ERROR_CODES)).toEqual(expected)
  })

  it('that come from the server are all in its catalogue', () => {
    const fromServer = VERITY_ERROR_CODES.filter((code) => !SDK_OWN.includes(code))
    expect(fromServer.filter((code) => !(code in ERROR_CATALOGUE))).toEqual([])
  })

  it('are exactly the rows of the README table, with the server\'s status', () => {
    const rows = [...readme.matchAll(/^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \| ([^|]+) \|/gm)]
    const documented = rows.flatMap((row) => [row[1]!, row[2]].filter((code): code is string => !!code))
    expect(new Set(documented)).toEqual(new Set(VERITY_ERROR_CODES))
    for (const row of rows) {
      const code = row[1] as keyof typeof ERROR_CATALOGUE
      if (code in ERROR_CATALOGUE) expect(row[3]).toContain(String(ERROR_CATALOGUE[code].status))
    }
  })

  it('turn a code this SDK does not know into unexpected_response that names it', async () => {
    const { errorFrom } = await import('../src/http.js')
    const response = new Response(JSON.stringify({ error: { code: 'from_the_future', message: 'A newer server.' } }), { status: 418 })
    const error = await errorFrom(response)
    expect(error.code).toBe('unexpected_response')
    expect(error.status).toBe(418)
    expect(error.message).toContain('from_the_future')
  })
})
