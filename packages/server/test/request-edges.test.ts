import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './support/backends.js'
import { startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

describe.each(BACKENDS)('edges of a request (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Request edges')
  })
  afterAll(() => server?.close())

  const secretsPath = () => `/admin/v1/apps/${app.appId}/platforms/web/secrets`

  it('treats a body of {} on a call that takes none as no body', async () => {
    const rotated = await server.admin('POST', secretsPath(), {})
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201)
    expect(rotated.body.secret.id).toMatch(/^sec_/)
    const revoked = await server.admin('DELETE', `${secretsPath()}/${rotated.body.secret.id}`, {})
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(204)
  })

  it('still refuses a body with something in it on a call that takes none', async () => {
    for (const body of [{ platform: 'web' }, [], 'null']) {
      const res = await server.admin('POST', secretsPath(), body)
      expect([JSON.stringify(body), res.status, res.body.error.code]).toEqual([JSON.stringify(body), 400, 'invalid_request'])
    }
  })
})
