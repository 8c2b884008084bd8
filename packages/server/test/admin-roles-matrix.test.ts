// Roles × every admin route, like the messenger privacy matrix: the routes come from the served
// OpenAPI document, so a new admin route joins the matrix by itself and must be given a row here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { addTeammate, apiToken, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'

type Role = 'owner' | 'admin' | 'agent'
const ALL: readonly Role[] = ['owner', 'admin', 'agent']
const OWNER_ADMIN: readonly Role[] = ['owner', 'admin']

/** Who may call each admin route with an API token. Session-only routes refuse every token. */
const EXPECTED: Record<string, readonly Role[]> = {
  'POST /admin/v1/apps': OWNER_ADMIN,
  'GET /admin/v1/apps': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}': OWNER_ADMIN,
  'PATCH /admin/v1/apps/{app_id}/platforms/{platform}': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}/platforms/{platform}/secrets': OWNER_ADMIN,
  'POST /admin/v1/apps/{app_id}/platforms/{platform}/secrets': OWNER_ADMIN,
  'DELETE /admin/v1/apps/{app_id}/platforms/{platform}/secrets/{secret_id}': OWNER_ADMIN,
  'DELETE /admin/v1/apps/{app_id}': OWNER_ADMIN,
  'DELETE /admin/v1/apps/{app_id}/users': OWNER_ADMIN,
  'POST /admin/v1/apps/{app_id}/users/sign-out': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}/platforms/{platform}/public-keys': OWNER_ADMIN,
  'POST /admin/v1/apps/{app_id}/platforms/{platform}/public-keys': OWNER_ADMIN,
  'DELETE /admin/v1/apps/{app_id}/platforms/{platform}/public-keys/{public_key_id}': OWNER_ADMIN,
  'GET /admin/v1/audit-log': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}/platforms/{platform}/rollout': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}/platforms/{platform}/rollout/daily': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}/failures': OWNER_ADMIN,
  'GET /admin/v1/apps/{app_id}/conversations': ALL,
  'POST /admin/v1/apps/{app_id}/conversations/{conversation_id}/messages': ALL,
  'GET /admin/v1/teammates': OWNER_ADMIN,
  'POST /admin/v1/webhooks': OWNER_ADMIN,
  'GET /admin/v1/webhooks': OWNER_ADMIN,
  'DELETE /admin/v1/webhooks/{webhook_id}': OWNER_ADMIN,
  'POST /admin/v1/webhooks/{webhook_id}/test': OWNER_ADMIN,
  'POST /admin/v1/webhooks/{webhook_id}/rotate-secret': OWNER_ADMIN,
  'GET /admin/v1/webhooks/{webhook_id}/deliveries': OWNER_ADMIN,
  'GET /admin/v1/alerts': OWNER_ADMIN,
  'POST /admin/v1/teammates': ['owner'],
  'PATCH /admin/v1/teammates/{teammate_id}': ['owner'],
  'DELETE /admin/v1/teammates/{teammate_id}': ['owner'],
  'GET /admin/v1/security': OWNER_ADMIN,
  'PATCH /admin/v1/security': ['owner'],
  'GET /admin/v1/session': [],
  'DELETE /admin/v1/session': [],
  'POST /admin/v1/session/confirm': [],
  'POST /admin/v1/me/password': [],
  'GET /admin/v1/me/sessions': [],
  'DELETE /admin/v1/me/sessions': [],
  'DELETE /admin/v1/me/sessions/{session_id}': [],
  'POST /admin/v1/me/totp': [],
  'POST /admin/v1/me/totp/confirm': [],
  'POST /admin/v1/me/tokens': [],
  'GET /admin/v1/me/tokens': [],
  'DELETE /admin/v1/me/tokens/{token_id}': [],
}

describe.each(BACKENDS)('roles × every admin route (%s)', (backend) => {
  let server: TestServer
  let routes: Array<{ method: string; path: string }>
  const tokens = {} as Record<Role, string>
  let appId: string
  let secrets: Record<string, string>

  beforeAll(async () => {
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_ADMIN_GUESS_RATE: '10000' })
    for (const role of ALL) tokens[role] = await apiToken(server, await addTeammate(server, `${role}@example.com`, role), role)
    const app = await server.createApp('Matrix app')
    appId = app.appId
    secrets = app.secrets
    const session = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web' } })
    await server.request('POST', '/v1/messenger/conversations', { token: session.body.access_token, body: { body: 'hello' } })
    const doc = (await server.request('GET', '/openapi.json')).body
    routes = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security !== undefined && path.startsWith('/admin/'))
        .map(([method]) => ({ method: method.toUpperCase(), path })),
    )
  })
  afterAll(() => server.close())

  it('has a row for every admin route the server serves, and no row for a route it does not', () => {
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  it('the OpenAPI document names each admin route\'s action and the gate\'s answers (403 forbidden; csrf_failed on unsafe methods)', async () => {
    const doc = (await server.request('GET', '/openapi.json')).body
    for (const { method, path } of routes) {
      const op = doc.paths[path][method.toLowerCase()]
      expect(op['x-verity-action'], `${method} ${path}`).toMatch(/^[a-z]+(\.[a-z_]+)?$/)
      expect(op.responses['403'].description, `${method} ${path}`).toContain('`forbidden`')
      if (method !== 'GET') expect(op.responses['403'].description).toContain('`csrf_failed`')
    }
    expect(doc.paths['/admin/v1/apps/{app_id}/platforms/{platform}/secrets'].get.responses['403'].description).toContain('`reauthentication_required`')
  })

  it('answers 403 forbidden exactly where the role does not allow the route, and never to the owner key', async () => {
    const seen: string[] = []
    for (const { method, path } of routes) {
      const url = path.replace('{app_id}', appId).replace('{platform}', 'web').replace(/\{\w+\}/g, 'x_unknown')
      for (const role of ALL) {
        const res = await server.request(method, url, { token: tokens[role], ...(method !== 'GET' && method !== 'DELETE' && { body: {} }) })
        const allowed = EXPECTED[`${method} ${path}`]!.includes(role)
        const forbidden = res.status === 403 && res.body?.error?.code === 'forbidden'
        expect(forbidden, `${role} ${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`).toBe(!allowed)
        if (!allowed) seen.push(`${role} ${method} ${path}`)
        // Whatever an agent may call, no secret value comes back.
        if (role === 'agent') for (const value of Object.values(secrets)) expect(JSON.stringify(res.body ?? '')).not.toContain(value)
      }
      // The bootstrap admin key keeps owner rights, except on the routes of a signed-in teammate.
      const res = await server.admin(method, url, method !== 'GET' && method !== 'DELETE' ? {} : undefined)
      expect(res.status === 403 && res.body?.error?.code === 'forbidden', `admin key ${method} ${path}`).toBe(EXPECTED[`${method} ${path}`]!.length === 0)
    }
    expect(seen.length).toBeGreaterThan(20)
  })

  it("an agent reads the inbox with each conversation's user and replies, and sees no app, secret or enforcement setting", async () => {
    const list = await server.request('GET', `/admin/v1/apps/${appId}/conversations`, { token: tokens.agent })
    expect(list.status).toBe(200)
    expect(list.body.conversations).toHaveLength(1)
    const reply = await server.request('POST', `/admin/v1/apps/${appId}/conversations/${list.body.conversations[0].id}/messages`, { token: tokens.agent, body: { body: 'Hi!' } })
    expect(reply.status).toBe(201)
    expect(JSON.stringify(list.body)).not.toMatch(/enforced|vsk_/)
  })
})
