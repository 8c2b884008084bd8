// The example backend, started as `node backend.js` is, against a real test Verity: the hash it
// hands out after its login verifies, and it serves the page and the SDK the page imports.
import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { startTestServer, type TestServer } from '../../packages/server/test/support/test-server.js'

const here = dirname(fileURLToPath(import.meta.url))
let verity: TestServer
let backend: ChildProcess
let backendUrl = ''
let appId = ''

beforeAll(async () => {
  verity = await startTestServer()
  const app = await verity.createApp('Example integration', 'development')
  appId = app.appId
  // Enforced, so that only a hash that verifies gets a session at all.
  expect((await verity.admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)
  backend = spawn(process.execPath, [join(here, 'backend.js')], {
    env: { ...process.env, VERITY_URL: verity.url, VERITY_APP_ID: appId, VERITY_WEB_SECRET: app.secrets.web, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  backendUrl = await new Promise<string>((resolve, reject) => {
    let out = ''
    backend.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /Example backend on (http:\/\/\S+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    backend.once('exit', (code) => reject(new Error(`backend exited with ${code}: ${out}`)))
  })
})

afterAll(async () => {
  if (backend && backend.exitCode === null) {
    const exited = new Promise((resolve) => backend.once('exit', resolve))
    backend.kill('SIGTERM')
    await exited
  }
  await verity?.close()
})

describe('examples/integration backend', () => {
  it('logs a user in and returns a user hash that Verity verifies', async () => {
    const login = await fetch(`${backendUrl}/api/login`, { method: 'POST', body: JSON.stringify({ userId: 'user-42', email: 'ada@example.com' }) })
    expect(login.status).toBe(200)
    const identity = await login.json()
    expect(identity).toEqual({ userId: 'user-42', email: 'ada@example.com', userHash: expect.stringMatching(/^[0-9a-f]{64}$/) })

    const auth = await verity.request('POST', '/v1/messenger/auth', {
      body: { app_id: appId, platform: 'web', user_id: identity.userId, email: identity.email, user_hash: identity.userHash },
    })
    expect(auth.status).toBe(200)
    expect(auth.body.user).toEqual({ user_id: 'user-42', email: 'ada@example.com', email_verified: false, anonymous: false, verified: true })

    // The session cookie gives the same proof again after a reload; without it, nothing.
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const again = await fetch(`${backendUrl}/api/messenger-identity`, { headers: { cookie } })
    expect(await again.json()).toEqual(identity)
    expect((await fetch(`${backendUrl}/api/messenger-identity`)).status).toBe(401)
  })

  it('serves the page, its public config (no secret) and the messenger SDK as ES modules', async () => {
    const page = await (await fetch(backendUrl)).text()
    expect(page).toContain('<script type="module" src="/app.js">')
    const app = await (await fetch(`${backendUrl}/app.js`)).text()
    expect(app).toContain("from '/sdk/index.js'")
    const config = await (await fetch(`${backendUrl}/config.json`)).json()
    expect(config).toEqual({ verityUrl: verity.url, appId, platform: 'web' })
    const sdk = await fetch(`${backendUrl}/sdk/index.js`)
    expect(sdk.headers.get('content-type')).toContain('text/javascript')
    expect(await sdk.text()).toContain('createMessenger')
  })
})
