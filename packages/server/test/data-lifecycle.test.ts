// Erasing a user, deleting an app and signing a user out (API.md, "Operations and data lifecycle"),
// on both databases. What "nothing remains" means is checked against every table the database
// itself lists, so a table added later is covered without editing this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { failureLimitDigest } from '../src/limits/database-failure-limit.js'
import { failureLimitKey } from '../src/limits/failure-limit.js'
import { userDigest } from '../src/verification/user-digest.js'
import { newId } from '../src/crypto/random-ids.js'
import { LATE_STATISTICS_MS } from '../src/services/late-sweep.js'
import { within } from './support/within.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { rowsMentioning } from './support/every-table.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { unverifiedSession, verifiedSession } from './support/messenger-sessions.js'
import { openEventStream } from './support/sse-client.js'
import type { TestServer } from './support/test-server.js'

const nextSecond = () => new Promise((r) => setTimeout(r, 1_050 - (Date.now() % 1_000)))

describe.each(BACKENDS)('data lifecycle (%s)', (backend) => {
  let server: TestServer
  beforeAll(async () => {
    server = await startBackendServer(backend)
  })
  afterAll(() => server?.close())

  const db = () => server.running.data.db

  /** Leaves a trace of the user in every kind of row Verity writes for a user. */
  async function populate(appId: string, secrets: { web: string; ios: string; android: string }, userId: string, email: string) {
    const verified = await verifiedSession(server, appId, secrets.web, { userId, email })
    const started = await server.request('POST', '/v1/messenger/conversations', { token: verified.token, body: { body: `hello from ${userId}` } })
    expect(started.status).toBe(201)
    const conversationId = started.body.conversation.id as string
    expect((await server.admin('POST', `/admin/v1/apps/${appId}/conversations/${conversationId}/messages`, { body: `reply to ${userId}` })).status).toBe(201)
    expect((await server.request('PATCH', '/v1/messenger/me', { token: verified.token, body: { name: `Name of ${userId}` } })).status).toBe(200)
    // Signed attributes (a profile row written at login), an unverified session claiming the id, a failure.
    const token = signHs256(secrets.web, { user_id: userId, email, exp: epochSeconds(600), attributes: { plan: `plan-of-${userId}` } })
    expect((await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', identity_token: token } })).status).toBe(200)
    const claimed = await unverifiedSession(server, appId, { userId, email }, undefined, 'ios')
    expect((await server.request('POST', '/v1/messenger/conversations', { token: claimed.token, body: { body: `unverified ${userId}` } })).status).toBe(201)
    expect((await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios', user_id: userId, email, user_hash: '0'.repeat(64) } })).body.user.verified).toBe(false)
    // A refusal on an enforced platform: counted by the failure limit (a table on PostgreSQL).
    expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/android`, { enforced: true })).status).toBe(200)
    const refused = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'android', user_id: userId, user_hash: '1'.repeat(64) } })
    expect(refused.status).toBe(401)
    expect((await server.admin('PATCH', `/admin/v1/apps/${appId}/platforms/android`, { enforced: false })).status).toBe(200)
    await server.running.events.flush()
    return { verified, claimed }
  }

  it('erasing a user leaves nothing of them in any table, ends their sessions, and touches no one else', async () => {
    const app = await server.createApp('Erase')
    const other = await server.createApp('Erase, other app')
    const userId = `erase-me-${backend}`
    const email = `erase.me.${backend}@example.test`
    const { verified, claimed } = await populate(app.appId, app.secrets, userId, email)
    // The same id in another app, and a bystander in this one: both must stay.
    await populate(other.appId, other.secrets, userId, email)
    const bystander = await verifiedSession(server, app.appId, app.secrets.web, { userId: `bystander-${backend}` })
    expect((await server.admin('POST', `/admin/v1/apps/${app.appId}/users/sign-out`, { user_id: userId })).status).toBe(200)

    const digest = userDigest({ userId, email: null })
    const limitKeys = (['web', 'ios', 'android'] as const).map((p) => failureLimitDigest(failureLimitKey(app.appId, p, `uid:${userId}`)))
    const needles = [userId, email, digest, ...limitKeys]
    const before = await rowsMentioning(db(), needles)
    const tablesBefore = new Set(before.mentions.filter((m) => m.row.app_id === app.appId || m.table === 'failure_limits').map((m) => m.table))
    const expected = ['audit_events', 'conversations', 'failures', 'messages', 'sign_outs', 'user_attempts', 'users']
    expect([...tablesBefore].sort()).toEqual(backend === 'postgres' ? [...expected, 'failure_limits'].sort() : expected)

    const erased = await server.admin('DELETE', `/admin/v1/apps/${app.appId}/users`, { user_id: userId })
    expect(erased.status).toBe(204)

    const after = await rowsMentioning(db(), needles)
    const left = after.mentions.filter((m) => m.row.app_id !== other.appId)
    // What stays: the sign-out (a digest, no identifier) until no token it ends can be alive.
    expect(left.map((m) => m.table)).toEqual(['sign_outs'])
    expect(left[0]!.row).toMatchObject({ app_id: app.appId, user_key: digest })
    expect(JSON.stringify(left[0]!.row)).not.toContain(userId)
    console.info(`[${backend}] erasure: checked ${after.tables.length} tables (${after.rows} rows): ${after.tables.join(', ')}`)
    expect(after.tables.length).toBeGreaterThanOrEqual(15)
    // The other app's user is whole.
    const otherTables = new Set(after.mentions.filter((m) => m.row.app_id === other.appId).map((m) => m.table))
    expect([...otherTables].sort()).toEqual(['conversations', 'failures', 'messages', 'user_attempts', 'users'])

    // Their sessions are over; the bystander's is not.
    for (const session of [verified, claimed]) {
      const me = await server.request('GET', '/v1/messenger/me', { token: session.token })
      expect([me.status, me.body.error.code]).toEqual([401, 'token_invalid'])
    }
    expect((await server.request('GET', '/v1/messenger/me', { token: bystander.token })).status).toBe(200)
    // Audited: what was removed, never whose.
    const audit = await server.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}`)
    const event = audit.body.events.find((e: { action: string }) => e.action === 'user.erased')
    expect(event).toMatchObject({ target: null, details: { by: 'user_id', removed: { conversations: 2, messages: 3, profiles: 1, failures: 2 } } })
    expect(JSON.stringify(audit.body)).not.toContain(userId)
    // An attempt made just before the erasure that another instance writes just after it (each
    // buffers up to 2 s): the erasure sweeps the statistics again a little later.
    await db().insertInto('user_attempts').values({ app_id: app.appId, platform: 'web', user_key: digest, last_at: new Date().toISOString(), outcome: 'missing', app_version: null, sdk_version: null, secret_id: null, proven_at: null, proven_app_version: null, proven_secret_id: null }).execute()
    await db().insertInto('failures').values({ id: newId('fail'), app_id: app.appId, platform: 'web', at: new Date().toISOString(), user_id: userId, email: null, app_version: null, refused: 0, code: 'user_hash_invalid', diagnosis: 'unknown' }).execute()
    const lateMs = await within(LATE_STATISTICS_MS + 2_000, 'the late rows go', async () => (await rowsMentioning(db(), [digest, userId])).mentions.every((m) => m.table === 'sign_outs' || m.row.app_id === other.appId))
    console.info(`[${backend}] statistics written late went ${lateMs} ms after they were written`)
    // The user may come back: a new session (after the sign-out's second) works.
    await nextSecond()
    const back = await verifiedSession(server, app.appId, app.secrets.web, { userId })
    expect((await server.request('GET', '/v1/messenger/me', { token: back.token })).status).toBe(200)
  })

  it('erasing by email erases the email-only user, not a user id that carried the same email', async () => {
    const app = await server.createApp('Erase by email')
    const email = `only.email.${backend}@example.test`
    const byEmail = await verifiedSession(server, app.appId, app.secrets.web, { email })
    expect((await server.request('POST', '/v1/messenger/conversations', { token: byEmail.token, body: { body: 'by email' } })).status).toBe(201)
    const byId = await verifiedSession(server, app.appId, app.secrets.web, { userId: `has-email-${backend}`, email })
    expect((await server.request('POST', '/v1/messenger/conversations', { token: byId.token, body: { body: 'by id' } })).status).toBe(201)
    expect((await server.admin('DELETE', `/admin/v1/apps/${app.appId}/users`, { email })).status).toBe(204)
    const list = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations`)
    expect(list.body.conversations.map((c: { user: { user_id: string | null } }) => c.user.user_id)).toEqual([`has-email-${backend}`])
    expect((await server.request('GET', '/v1/messenger/me', { token: byEmail.token })).status).toBe(401)
    expect((await server.request('GET', '/v1/messenger/me', { token: byId.token })).status).toBe(200)
  })

  it('the three routes are in the OpenAPI document, with their codes', async () => {
    const doc = (await server.request('GET', '/openapi.json')).body
    const deleteApp = doc.paths['/admin/v1/apps/{app_id}'].delete
    expect(deleteApp.parameters.map((p: { name: string }) => p.name)).toEqual(['app_id', 'confirm'])
    expect(deleteApp.responses['400'].description).toContain('`confirmation_required`')
    expect(Object.keys(deleteApp.responses)).toEqual(expect.arrayContaining(['204', '400', '401', '404']))
    expect(doc.paths['/admin/v1/apps/{app_id}/users'].delete.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/UserSelector')
    expect(doc.paths['/admin/v1/apps/{app_id}/users/sign-out'].post.responses['200'].content['application/json'].schema.properties).toHaveProperty('signed_out_before')
    expect(doc.components.schemas.UserSelector).toMatchObject({ minProperties: 1, maxProperties: 1, additionalProperties: false })
  })

  it('refuses bad user requests with the right status and code', async () => {
    const app = await server.createApp('Bad input')
    for (const [method, path] of [['DELETE', `/admin/v1/apps/${app.appId}/users`], ['POST', `/admin/v1/apps/${app.appId}/users/sign-out`]] as const) {
      for (const body of [{}, { user_id: 'a', email: 'b@c.d' }, { user_id: 42 }, { userId: 'a' }, { user_id: '' }, { user_id: 'a\u0000' }]) {
        const res = await server.admin(method, path, body)
        expect([method, body, res.status, res.body.error.code]).toEqual([method, body, 400, 'invalid_request'])
      }
      const unknown = await server.admin(method, path.replace(app.appId, 'app_00000000000000000000000000'), { user_id: 'a' })
      expect([unknown.status, unknown.body.error.code]).toEqual([404, 'app_not_found'])
      const noKey = await server.request(method, path, { body: { user_id: 'a' } })
      expect([noKey.status, noKey.body.error.code]).toEqual([401, 'unauthorized'])
    }
  })

  it('signing a user out ends their tokens and live streams, on every platform and trust, and no one else', async () => {
    const app = await server.createApp('Sign-out')
    const userId = `leaving-${backend}`
    const web = await verifiedSession(server, app.appId, app.secrets.web, { userId })
    const ios = await verifiedSession(server, app.appId, app.secrets.ios, { userId }, 'ios')
    const claimed = await unverifiedSession(server, app.appId, { userId }, undefined, 'android')
    const sameEmail = await verifiedSession(server, app.appId, app.secrets.web, { email: userId })
    const stream = await openEventStream(server.url, { token: web.token })
    expect(stream.status).toBe(200)
    try {
      const res = await server.admin('POST', `/admin/v1/apps/${app.appId}/users/sign-out`, { user_id: userId })
      expect(res.status).toBe(200)
      const before = Date.parse(res.body.signed_out_before)
      expect(before % 1000).toBe(0)
      expect(before).toBeGreaterThanOrEqual(Date.now() - 1_000)
      await stream.ended
      for (const session of [web, ios, claimed]) {
        const me = await server.request('GET', '/v1/messenger/me', { token: session.token })
        expect([me.status, me.body.error.code]).toEqual([401, 'token_invalid'])
      }
      // A user id and an email are different users.
      expect((await server.request('GET', '/v1/messenger/me', { token: sameEmail.token })).status).toBe(200)
      const audit = await server.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}`)
      expect(audit.body.events[0]).toMatchObject({ action: 'user.signed_out', target: `uid:${userId}`, details: { signed_out_before: res.body.signed_out_before } })
      await nextSecond()
      const again = await verifiedSession(server, app.appId, app.secrets.web, { userId })
      expect((await server.request('GET', '/v1/messenger/me', { token: again.token })).status).toBe(200)
    } finally {
      stream.close()
    }
  })

  it('deleting an app needs ?confirm=<its id>, then removes all its rows everywhere and stops its tokens', async () => {
    const app = await server.createApp('Doomed')
    const kept = await server.createApp('Kept')
    const { verified } = await populate(app.appId, app.secrets, `doomed-user-${backend}`, `doomed.${backend}@example.test`)
    await populate(kept.appId, kept.secrets, `kept-user-${backend}`, `kept.${backend}@example.test`)
    expect((await server.admin('POST', `/admin/v1/apps/${app.appId}/users/sign-out`, { user_id: 'someone' })).status).toBe(200)
    const keptBefore = await rowsMentioning(db(), [kept.appId])

    for (const query of ['', '?confirm=', `?confirm=${kept.appId}`, `?confirm=${app.appId.toUpperCase()}`]) {
      const res = await server.admin('DELETE', `/admin/v1/apps/${app.appId}${query}`)
      expect([query, res.status, res.body.error.code]).toEqual([query, 400, 'confirmation_required'])
    }
    const stray = await server.admin('DELETE', `/admin/v1/apps/${app.appId}?confirm=${app.appId}&force=1`)
    expect([stray.status, stray.body.error.code]).toEqual([400, 'invalid_request'])
    const unknown = await server.admin('DELETE', '/admin/v1/apps/app_00000000000000000000000000?confirm=app_00000000000000000000000000')
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'app_not_found'])
    expect((await server.request('GET', '/v1/messenger/me', { token: verified.token })).status).toBe(200)

    const before = await rowsMentioning(db(), [app.appId])
    expect(new Set(before.mentions.map((m) => m.table)).size).toBeGreaterThanOrEqual(10)
    expect((await server.admin('DELETE', `/admin/v1/apps/${app.appId}?confirm=${app.appId}`)).status).toBe(204)

    const after = await rowsMentioning(db(), [app.appId])
    // Only the audit log keeps the app's history, with its deletion.
    expect([...new Set(after.mentions.map((m) => m.table))]).toEqual(['audit_events'])
    expect(after.mentions.some((m) => m.row.action === 'app.deleted')).toBe(true)
    console.info(`[${backend}] app deletion: ${before.mentions.length} rows in ${new Set(before.mentions.map((m) => m.table)).size} tables before, ${after.mentions.length} audit events after, ${after.tables.length} tables checked`)
    const me = await server.request('GET', '/v1/messenger/me', { token: verified.token })
    expect([me.status, me.body.error.code]).toEqual([401, 'token_invalid'])
    const gone = await server.admin('GET', `/admin/v1/apps/${app.appId}`)
    expect([gone.status, gone.body.error.code]).toEqual([404, 'app_not_found'])
    const auth = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web' } })
    expect([auth.status, auth.body.error.code]).toEqual([404, 'app_not_found'])
    // The other app kept every row.
    expect((await rowsMentioning(db(), [kept.appId])).mentions.length).toBe(keptBefore.mentions.length)
    // Statistics another instance writes late for the deleted app are swept again.
    await db().insertInto('user_attempts').values({ app_id: app.appId, platform: 'web', user_key: 'late', last_at: new Date().toISOString(), outcome: 'missing', app_version: null, sdk_version: null, secret_id: null, proven_at: null, proven_app_version: null, proven_secret_id: null }).execute()
    await db().insertInto('failures').values({ id: newId('fail'), app_id: app.appId, platform: 'web', at: new Date().toISOString(), user_id: 'late', email: null, app_version: null, refused: 0, code: 'user_hash_invalid', diagnosis: 'unknown' }).execute()
    await within(LATE_STATISTICS_MS + 2_000, 'the late rows go', async () => (await rowsMentioning(db(), [app.appId])).mentions.every((m) => m.table === 'audit_events'))
  })
})
