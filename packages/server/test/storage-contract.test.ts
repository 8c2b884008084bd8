// One storage contract, run against SQLite and a real PostgreSQL (test/global-postgres.ts): the
// same HTTP behaviour and the same repository results on both, including under concurrency.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { currentRevision } from '../src/storage/config-change.js'
import { hmacHex } from './support/hmac.js'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'
import type { TestServer } from './support/test-server.js'

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

describe.each(BACKENDS)('storage contract on %s', (backend) => {
  let a: TestServer
  /** On PostgreSQL a second instance on the same database; on SQLite the same instance. */
  let b: TestServer

  beforeAll(async () => {
    a = await startBackendServer(backend)
    b = backend === 'postgres' ? await startOnSameData(a) : a
  })
  afterAll(async () => {
    if (b && b !== a) await b.close()
    await a?.close()
  })

  const secretsOf = async (server: TestServer, appId: string, platform = 'web') => {
    const res = await server.admin('GET', `/admin/v1/apps/${appId}/platforms/${platform}/secrets`)
    expect(res.status).toBe(200)
    return res.body.secrets as Array<{ id: string; value: string; created_at: string; last_used_at: string | null }>
  }
  const auth = (server: TestServer, body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { platform: 'web', ...body } })

  it('uses the expected backend', () => {
    expect(a.running.data.dialect).toBe(backend)
    expect(b.running.data.dialect).toBe(backend)
  })

  it('round-trips an app: ids, timestamps, platforms, secrets', async () => {
    const created = await a.admin('POST', '/admin/v1/apps', { name: 'Contract ✓ app', environment: 'test' })
    expect(created.status).toBe(201)
    const app = created.body.app
    expect(app.id).toMatch(/^app_[0-9a-z]{26}$/)
    expect(app.created_at).toMatch(RFC3339_UTC)
    expect(app.name).toBe('Contract ✓ app')
    for (const platform of ['web', 'ios', 'android']) {
      expect(app.platforms[platform].enforced).toBe(false)
      expect(app.platforms[platform].secrets).toHaveLength(1)
      const secret = created.body.secrets[platform]
      expect(secret.id).toMatch(/^sec_/)
      expect(secret.created_at).toMatch(RFC3339_UTC)
      expect(secret.last_used_at).toBeNull()
      expect(typeof secret.value).toBe('string')
    }
    // Read back through the other instance: the same app, byte for byte.
    const read = await b.admin('GET', `/admin/v1/apps/${app.id}`)
    expect(read.status).toBe(200)
    expect(read.body.app).toEqual(app)
    expect((await secretsOf(b, app.id, 'ios'))[0]!.value).toBe(created.body.secrets.ios.value)
  })

  it('paginates apps with a cursor, oldest first, and refuses an unknown cursor', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await a.createApp(`page ${i}`)).appId)
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res: Awaited<ReturnType<TestServer['admin']>> = await b.admin('GET', `/admin/v1/apps?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      expect(res.status).toBe(200)
      expect(res.body.apps.length).toBeLessThanOrEqual(2)
      seen.push(...res.body.apps.map((x: { id: string }) => x.id))
      cursor = res.body.next_cursor
      pages++
    } while (cursor && pages < 50)
    expect(seen).toEqual([...seen].sort())
    expect(new Set(seen).size).toBe(seen.length)
    for (const id of ids) expect(seen).toContain(id)
    const bad = await a.admin('GET', '/admin/v1/apps?cursor=bm90LWEtY3Vyc29y')
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('invalid_request')
  })

  it('rotates, verifies with every active secret, revokes, and keeps the last active secret', async () => {
    const app = await a.createApp('rotation')
    const rotated = await a.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)
    expect(rotated.status).toBe(201)
    const second = rotated.body.secret
    expect(second.id).not.toBe(app.secretIds.web)
    expect((await secretsOf(a, app.appId)).map((s) => s.id)).toEqual([app.secretIds.web, second.id])
    for (const value of [app.secrets.web, second.value]) {
      const res = await auth(a, { app_id: app.appId, user_id: 'u1', user_hash: hmacHex(value, 'u1') })
      expect(res.body.user.verified).toBe(true)
    }
    expect((await a.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${app.secretIds.web}`)).status).toBe(204)
    // Revoking again is harmless; an unknown id is 404; the last active one is 409.
    expect((await a.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${app.secretIds.web}`)).status).toBe(204)
    expect((await a.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/sec_nope`)).status).toBe(404)
    const last = await a.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${second.id}`)
    expect(last.status).toBe(409)
    expect(last.body.error.code).toBe('last_active_secret')
    expect((await secretsOf(a, app.appId)).map((s) => s.id)).toEqual([second.id])
    const old = await auth(a, { app_id: app.appId, user_id: 'u1', user_hash: hmacHex(app.secrets.web, 'u1') })
    expect(old.body.user.verified).toBe(false)
  })

  it('round-trips enforcement, and the audit log records every change without secret values', async () => {
    const app = await a.createApp('enforce')
    const on = await a.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/ios`, { enforced: true })
    expect(on.status).toBe(200)
    expect(on.body.platform.enforced).toBe(true)
    expect((await b.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.ios.enforced).toBe(true)
    const refused = await auth(a, { app_id: app.appId, platform: 'ios', user_id: 'u2' })
    expect(refused.status).toBe(401)
    expect(refused.body.error.code).toBe('user_hash_missing')

    const events = await b.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}&limit=100`)
    expect(events.status).toBe(200)
    const actions = events.body.events.map((e: { action: string }) => e.action)
    expect(actions).toEqual(['platform.enforced', 'app.created'])
    for (const e of events.body.events) {
      expect(e.at).toMatch(RFC3339_UTC)
      expect(e.actor).toBe('admin_key:env')
      expect(JSON.stringify(e)).not.toContain(app.secrets.web)
    }
    // Pagination: newest first, one at a time.
    const first = await a.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}&limit=1`)
    expect(first.body.events[0].action).toBe('platform.enforced')
    const next = await a.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}&limit=1&cursor=${first.body.next_cursor}`)
    expect(next.body.events[0].action).toBe('app.created')
  })

  it('writes statistics with numeric counts and RFC 3339 times (pg returns count() as a string)', async () => {
    const app = await a.createApp('stats')
    for (const user of ['s1', 's2', 's3']) await auth(a, { app_id: app.appId, user_id: user, user_hash: hmacHex(app.secrets.web, user), app_version: '1.0.0' })
    await auth(a, { app_id: app.appId, user_id: 's4', app_version: '1.0.0' })
    await auth(a, { app_id: app.appId, user_id: 's5', user_hash: 'ab'.repeat(32) })
    await a.running.events.flush()
    const rollout = await b.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/rollout?days=7`)
    expect(rollout.status).toBe(200)
    expect(rollout.body.totals).toEqual({ users: 5, verified: 3, missing: 1, invalid: 1 })
    for (const value of Object.values(rollout.body.totals)) expect(typeof value).toBe('number')
    for (const v of rollout.body.versions) {
      expect(typeof v.users).toBe('number')
      expect(v.last_seen_at).toMatch(RFC3339_UTC)
    }
    expect(rollout.body.secrets).toEqual([expect.objectContaining({ id: app.secretIds.web, users: 3 })])
    const [secret] = await secretsOf(b, app.appId)
    expect(secret!.last_used_at).toMatch(RFC3339_UTC)
    const failures = await b.admin('GET', `/admin/v1/apps/${app.appId}/failures?limit=1`)
    expect(failures.status).toBe(200)
    expect(failures.body.failures).toHaveLength(1)
    expect(failures.body.failures[0]).toMatchObject({ user_id: 's5', refused: false, code: 'user_hash_invalid' })
    expect(failures.body.failures[0].at).toMatch(RFC3339_UTC)
  })

  it('repositories: revision is a number and grows, changedSince returns exactly the changed apps', async () => {
    const data = a.running.data
    const before = await currentRevision(data.db)
    expect(typeof before).toBe('number')
    const app = await a.createApp('repo')
    const after = await currentRevision(data.db)
    expect(after).toBeGreaterThan(before)
    const changed = await data.apps.changedSince(before)
    expect(changed.map((x) => x.id)).toEqual([app.appId])
    expect(typeof changed[0]!.revision).toBe('number')
    expect(changed[0]!.platforms.web).toEqual({ enforced: false, updatedAt: expect.stringMatching(RFC3339_UTC) })
    expect(changed[0]!.secrets.map((s) => s.value).sort()).toEqual(Object.values(app.secrets).sort())
    expect(await data.apps.get('app_00000000000000000000000000')).toBeNull()

    const keysBefore = (await data.signingKeys.all()).keys.length
    const rotated = await data.signingKeys.rotate('test', new Date())
    const { keys, unreadable } = await data.signingKeys.all()
    expect(unreadable).toEqual([])
    expect(keys).toHaveLength(keysBefore + 1)
    expect(keys.at(-1)!.id).toBe(rotated.id)
    expect(keys.at(-1)!.key).toHaveLength(32)

    const adminKey = await data.adminKeys.create('contract', 'test', new Date())
    expect((await data.adminKeys.all()).map((k) => k.id)).toContain(adminKey.id)
  })

  it('gives unique ids to concurrent creations, from both instances', async () => {
    const created = await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).createApp(`parallel ${i}`)))
    const ids = created.flatMap((c) => [c.appId, ...Object.values(c.secretIds)])
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('serializes concurrent rotations and revocations: one active secret always remains', async () => {
    const app = await a.createApp('concurrency')
    const servers = [a, b]
    // 19 parallel rotations from both instances: all succeed, all distinct.
    const rotations = await Promise.all(Array.from({ length: 19 }, (_, i) => servers[i % 2]!.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)))
    expect(rotations.map((r) => r.status)).toEqual(Array(19).fill(201))
    const all = await secretsOf(a, app.appId)
    expect(all).toHaveLength(20)
    expect(new Set(all.map((s) => s.id)).size).toBe(20)

    // Revoke all 20 at once, from both instances: exactly one must survive.
    const revocations = await Promise.all(all.map((s, i) => servers[i % 2]!.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${s.id}`)))
    const statuses = revocations.map((r) => r.status)
    expect(statuses.filter((s) => s === 204)).toHaveLength(19)
    expect(statuses.filter((s) => s === 409)).toHaveLength(1)
    expect(revocations.find((r) => r.status === 409)!.body.error.code).toBe('last_active_secret')
    const left = await secretsOf(b, app.appId)
    expect(left).toHaveLength(1)
    // The survivor verifies on both instances (after propagation on the other one).
    for (const server of servers) {
      await server.running.cache.refresh()
      const res = await auth(server, { app_id: app.appId, user_id: 'c1', user_hash: hmacHex(left[0]!.value, 'c1') })
      expect(res.body.user.verified).toBe(true)
    }
    // Mixed: rotations and revocations racing still leave at least one active secret.
    const mixed = await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => servers[i % 2]!.admin('POST', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)),
      servers[1]!.admin('DELETE', `/admin/v1/apps/${app.appId}/platforms/web/secrets/${left[0]!.id}`),
    ])
    expect(mixed.every((r) => [201, 204, 409].includes(r.status))).toBe(true)
    expect((await secretsOf(a, app.appId)).length).toBeGreaterThanOrEqual(1)
    const stored = await a.running.data.apps.get(app.appId)
    expect(stored!.secrets.filter((s) => s.platform === 'web' && s.revokedAt === null).length).toBeGreaterThanOrEqual(1)
  })
})
