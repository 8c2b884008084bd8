import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KNOWN_PATH_PARAMS } from '../src/http/path-params.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

/*
 * A path parameter that cannot name anything is answered like an unknown one (404 with the code
 * of what it names), before any storage is read: a wrong prefix, a control character, a 10 KB id.
 */
describe.each(BACKENDS)('path parameters (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  let token = ''
  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Path params')
    const auth = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web' } })
    token = (auth.body as { access_token: string }).access_token
  })
  afterAll(() => server?.close())

  const junk = ['app_nope', 'x'.repeat(10_000), '%F0%9F%98%80', "app_' OR 1=1 --", 'APP_0123456789ABCDEFGHJKMNPQRS']

  it.each(junk)('an app id that cannot exist (%#) is app_not_found', async (id) => {
    const res = await server.admin('GET', `/admin/v1/apps/${id}`)
    expect([res.status, (res.body as any).error.code]).toEqual([404, 'app_not_found'])
  })

  it('an unknown platform, secret id or conversation id is not_found', async () => {
    const base = `/admin/v1/apps/${app.appId}`
    const calls: [string, string, unknown?][] = [
      ['GET', `${base}/platforms/desktop/secrets`],
      ['DELETE', `${base}/platforms/web/secrets/sec_nope`],
      ['POST', `${base}/conversations/conv_x/messages`, { body: 'hi' }],
    ]
    for (const [method, path, body] of calls) {
      const res = await server.admin(method, path, body)
      expect([path, res.status, (res.body as any).error.code]).toEqual([path, 404, 'not_found'])
    }
    const mine = await server.request('GET', `/v1/messenger/conversations/${'conv_' + 'z'.repeat(200)}`, { token })
    expect([mine.status, (mine.body as any).error.code]).toEqual([404, 'not_found'])
  })

  it('an id of the right shape still reaches the handler', async () => {
    expect((await server.admin('GET', `/admin/v1/apps/${app.appId}`)).status).toBe(200)
    const res = await server.admin('GET', `/admin/v1/apps/app_${'0'.repeat(26)}`)
    expect([res.status, (res.body as any).error.code]).toEqual([404, 'app_not_found'])
  })

  it('every parameter a route declares has its own rule', async () => {
    const document = (await server.request('GET', '/openapi.json')).body as { paths: Record<string, unknown> }
    const names = new Set(Object.keys(document.paths).flatMap((path) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)))
    expect([...names].filter((name) => !KNOWN_PATH_PARAMS.includes(name))).toEqual([])
  })
})
