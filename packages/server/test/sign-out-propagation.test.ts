// Two Verity instances on the same data: a sign-out made through one ends the user's access token
// and open live stream on the other within 2 s (API.md, "Operations and data lifecycle"). On
// PostgreSQL the change arrives by NOTIFY; on SQLite by the 1 s revision poll.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, backendEnv } from './support/backends.js'
import { verifiedSession } from './support/messenger-sessions.js'
import { openEventStream } from './support/sse-client.js'
import { startTestServer, type TestServer } from './support/test-server.js'

const PROPAGATION_MS = 2_000

describe.each(BACKENDS)('sign-out across two instances (%s)', (backend) => {
  let dir: string
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-signout-'))
    const env = await backendEnv(backend)
    a = await startTestServer(env, dir)
    b = await startTestServer(env, dir)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('ends the token and the open live stream on the other instance within 2 s', async () => {
    const app = await a.createApp('Two instances')
    const userId = `roaming-${backend}`
    // The app reaches B (its config poll), then B issues the session and holds its stream.
    const deadline = Date.now() + PROPAGATION_MS
    while ((await b.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web' } })).status !== 200) {
      if (Date.now() > deadline) throw new Error('the app did not reach B')
      await new Promise((r) => setTimeout(r, 20))
    }
    const session = await verifiedSession(b, app.appId, app.secrets.web, { userId })
    const bystander = await verifiedSession(b, app.appId, app.secrets.web, { userId: `staying-${backend}` })
    const stream = await openEventStream(b.url, { token: session.token })
    const other = await openEventStream(b.url, { token: bystander.token })
    expect([stream.status, other.status]).toEqual([200, 200])
    try {
      const started = Date.now()
      const res = await a.admin('POST', `/admin/v1/apps/${app.appId}/users/sign-out`, { user_id: userId })
      expect(res.status).toBe(200)
      await Promise.race([stream.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream on B stayed open')), PROPAGATION_MS))])
      const streamMs = Date.now() - started
      const me = await b.request('GET', '/v1/messenger/me', { token: session.token })
      expect([me.status, me.body.error.code]).toEqual([401, 'token_invalid'])
      const tokenMs = Date.now() - started
      console.info(`[${backend}] sign-out on A: stream on B closed after ${streamMs} ms, token refused on B by ${tokenMs} ms`)
      expect(tokenMs).toBeLessThan(PROPAGATION_MS)
      // The bystander's stream and token on B are untouched.
      expect((await b.request('GET', '/v1/messenger/me', { token: bystander.token })).status).toBe(200)
      let otherEnded = false
      void other.ended.then(() => (otherEnded = true))
      await new Promise((r) => setTimeout(r, 50))
      expect(otherEnded).toBe(false)
    } finally {
      stream.close()
      other.close()
    }
  })
})
