import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'
import { errorLines } from './support/log-lines.js'

describe.each(BACKENDS)('edges of a request (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const logLines: string[] = []
  beforeAll(async () => {
    server = await startBackendServer(backend, {}, { logLines })
    app = await server.createApp('Request edges')
  })
  afterAll(() => server?.close())

  const secretsPath = () => `/admin/v1/apps/${app.appId}/platforms/web/secrets`
  const databaseErrors = async (): Promise<number> => {
    const text = (await server.request('GET', '/metrics')).body as string
    return [...text.matchAll(/^verity_database_errors_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0)
  }

  it('treats a body of {} on a call that takes none as no body', async () => {
    const rotated = await server.admin('POST', secretsPath(), {})
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(201)
    expect(rotated.body.secret.id).toMatch(/^sec_/)
    const revoked = await server.admin('DELETE', `${secretsPath()}/${rotated.body.secret.id}`, {})
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(204)
  })

  it('revoking a secret that is already revoked is 204 again, and no second audit event', async () => {
    const rotated = await server.admin('POST', secretsPath())
    expect((await server.admin('DELETE', `${secretsPath()}/${rotated.body.secret.id}`)).status).toBe(204)
    expect((await server.admin('DELETE', `${secretsPath()}/${rotated.body.secret.id}`)).status).toBe(204)
    const events = (await server.admin('GET', '/admin/v1/audit-log')).body.events as Array<{ action: string; target: string | null }>
    expect(events.filter((e) => e.action === 'secret.revoked' && e.target === rotated.body.secret.id)).toHaveLength(1)
  })

  it('still refuses a body with something in it on a call that takes none', async () => {
    for (const body of [{ platform: 'web' }, [], 'null']) {
      const res = await server.admin('POST', secretsPath(), body)
      expect([JSON.stringify(body), res.status, res.body.error.code]).toEqual([JSON.stringify(body), 400, 'invalid_request'])
    }
  })

  it('a client that hangs up mid-body is neither a database error nor an error in the log', async () => {
    const before = await databaseErrors()
    const linesBefore = logLines.length
    const { port } = new URL(server.url)
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            'POST /v1/messenger/auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n' + `{"app_id": "${app.appId}", "platform"`,
            () => setTimeout(() => socket.destroy(), 50),
          )
        })
        socket.on('close', () => resolve())
        socket.on('error', reject)
      })
    }
    // Each hang-up leaves one log line about its request (debug now; an error before the fix).
    const aboutAuth = () => logLines.slice(linesBefore).filter((line) => JSON.parse(line).path === '/v1/messenger/auth')
    for (let waited = 0; aboutAuth().length < 5 && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(aboutAuth()).toHaveLength(5)
    expect((await server.request('GET', '/healthz')).status).toBe(200)
    expect(await databaseErrors()).toBe(before)
    const errors = errorLines(logLines.slice(linesBefore))
    expect(errors).toEqual([])
  })

  it('answers what the HTTP parser refuses with a JSON error of the catalogue, then closes', async () => {
    const raw = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const { hostname, port } = new URL(server.url)
        const socket = connect(Number(port), hostname, () => socket.write(text))
        let answer = ''
        socket.on('data', (chunk) => (answer += chunk.toString()))
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
      })
    const parts = (answer: string) => {
      const [head, body] = answer.split('\r\n\r\n')
      return { status: Number(head!.split(' ')[1]), close: /\r\nConnection: close/i.test(head!), code: JSON.parse(body!).error.code }
    }
    const long = await raw(`GET /healthz?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    expect(parts(long)).toEqual({ status: 431, close: true, code: 'headers_too_large' })
    const header = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`)
    expect(parts(header)).toEqual({ status: 431, close: true, code: 'headers_too_large' })
    const broken = await raw('HELLO THERE\r\n\r\n')
    expect(parts(broken)).toEqual({ status: 400, close: true, code: 'invalid_request' })
    expect((await server.request('GET', '/healthz')).status).toBe(200)
  })
})
