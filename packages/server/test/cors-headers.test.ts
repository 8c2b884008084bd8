// What a browser on a customer's page needs from the messenger routes, and nothing more: the
// preflight's permissions only on the preflight, the origin and the readable headers on answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anonymousSession } from './support/messenger-sessions.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

const PREFLIGHT_ONLY = ['access-control-allow-headers', 'access-control-allow-methods', 'access-control-max-age']

describe.each(BACKENDS)('CORS headers (%s)', (backend) => {
  let server: TestServer
  let appId: string

  beforeAll(async () => {
    server = await startBackendServer(backend)
    appId = (await server.createApp('Cors')).appId
  })
  afterAll(() => server.close())

  it('a preflight gets the methods, the request headers and how long to keep them', async () => {
    const res = await server.request('OPTIONS', '/v1/messenger/me', {
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, PATCH, OPTIONS')
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Last-Event-ID')
    expect(res.headers.get('access-control-max-age')).toBe('600')
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/)
  })

  it('a messenger answer lets any origin read it, and its Retry-After and X-Request-Id, without the preflight headers', async () => {
    const session = await anonymousSession(server, appId)
    const res = await server.request('GET', '/v1/messenger/me', { token: session.token, headers: { origin: 'https://shop.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After, X-Request-Id')
    for (const name of PREFLIGHT_ONLY) expect(res.headers.get(name)).toBeNull()
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
  })

  it('every answer carries its own request id, and a given one is kept', async () => {
    const session = await anonymousSession(server, appId)
    const [first, second] = await Promise.all([1, 2].map(() => server.request('GET', '/v1/messenger/me', { token: session.token })))
    expect(first!.headers.get('x-request-id')).not.toBe(second!.headers.get('x-request-id'))
    const given = await server.request('GET', '/v1/messenger/me', { token: session.token, headers: { 'x-request-id': 'trace-42' } })
    expect(given.headers.get('x-request-id')).toBe('trace-42')
  })

  it('a messenger error keeps the CORS answer headers, so the page can read the code', async () => {
    const res = await server.request('GET', '/v1/messenger/me', { token: 'not-a-token', headers: { origin: 'https://shop.example' } })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('token_invalid')
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After, X-Request-Id')
    for (const name of PREFLIGHT_ONLY) expect(res.headers.get(name)).toBeNull()
  })

  it('admin answers carry no CORS headers at all', async () => {
    const res = await server.admin('GET', '/admin/v1/apps')
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
    expect(res.headers.get('access-control-expose-headers')).toBeNull()
    for (const name of PREFLIGHT_ONLY) expect(res.headers.get(name)).toBeNull()
    expect(res.headers.get('x-request-id')).toMatch(/^[\w-]+$/)
  })
})
