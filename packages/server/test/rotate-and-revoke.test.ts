// POST .../secrets/{secret_id}/rotate-and-revoke: the one-step answer to an exposed secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { addTeammate, GOOD_PASSWORD, signIn, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'

describe.each(BACKENDS)('rotate and revoke (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend, TEST_SCRYPT_ENV)
  })
  afterAll(() => server.close())

  const verifies = async (appId: string, secret: string) =>
    (await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'alice', user_hash: hmacHex(secret, 'alice') } })).body.user?.verified === true

  it('makes a new secret and revokes the exposed one together, audited as both, and ends the sessions the old one verified', async () => {
    const { appId, secrets, secretIds } = await server.createApp('Exposed')
    const old = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'bob', user_hash: hmacHex(secrets.web, 'bob') } })
    expect(old.body.user.verified).toBe(true)
    const path = `/admin/v1/apps/${appId}/platforms/web/secrets/${secretIds.web}/rotate-and-revoke`
    const res = await server.admin('POST', path)
    expect(res.status).toBe(201)
    expect(res.body.revoked).toBe(secretIds.web)
    expect(res.body.secret.id).not.toBe(secretIds.web)
    expect(await verifies(appId, secrets.web)).toBe(false)
    expect(await verifies(appId, res.body.secret.value)).toBe(true)
    const me = await server.request('GET', '/v1/messenger/conversations', { token: old.body.access_token })
    expect([me.status, me.body.error.code]).toEqual([401, 'token_invalid'])
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app.platforms.web.secrets.map((s: { id: string }) => s.id)).toEqual([res.body.secret.id])
    const events = (await server.admin('GET', `/admin/v1/audit-log?app_id=${appId}`)).body.events as { action: string; target: string; details: unknown }[]
    expect(events.filter((e) => e.action === 'secret.revoked')).toEqual([expect.objectContaining({ target: secretIds.web, details: { replaced_by: res.body.secret.id } })])
    expect(events.filter((e) => e.action === 'secret.created' && e.target === res.body.secret.id)).toHaveLength(1)
    expect(JSON.stringify(events)).not.toContain(res.body.secret.value)

    // Again, or for an unknown id: 404 not_found, and nothing changes.
    const again = await server.admin('POST', path)
    expect([again.status, again.body.error.code]).toEqual([404, 'not_found'])
    const unknown = await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/secrets/sec_00000000000000000000000000/rotate-and-revoke`)
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found'])
    // Another platform's secret is not this platform's.
    const crossed = await server.admin('POST', `/admin/v1/apps/${appId}/platforms/web/secrets/${secretIds.ios}/rotate-and-revoke`)
    expect([crossed.status, crossed.body.error.code]).toEqual([404, 'not_found'])
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app.platforms.web.secrets).toHaveLength(1)
  })

  it('asks a dashboard session for the password first (403 reauthentication_required), then works', async () => {
    const { appId, secretIds } = await server.createApp('Session')
    await addTeammate(server, 'admin@example.com', 'admin')
    const client = await signIn(server, 'admin@example.com')
    const path = `/admin/v1/apps/${appId}/platforms/ios/secrets/${secretIds.ios}/rotate-and-revoke`
    const first = await client.call('POST', path)
    expect([first.status, first.body.error.code]).toEqual([403, 'reauthentication_required'])
    expect((await client.call('POST', '/admin/v1/session/confirm', { password: GOOD_PASSWORD })).status).toBe(200)
    const done = await client.call('POST', path)
    expect(done.status).toBe(201)
    const events = (await server.admin('GET', `/admin/v1/audit-log?app_id=${appId}&action=secret.revoked`)).body.events
    expect(events[0]).toMatchObject({ actor: 'teammate:admin@example.com', target: secretIds.ios })
  })
})
