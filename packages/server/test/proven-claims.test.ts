import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Migrator } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { migrateToLatest } from '../src/storage/migrate.js'
import { MIGRATIONS } from '../src/storage/migrations/index.js'
import { openDatabase } from '../src/storage/open-database.js'
import { BACKENDS, startBackendServer, type Backend } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { epochSeconds, signHs256 } from './support/identity-token.js'
import { freshPostgresDatabase } from './support/postgres-database.js'
import type { TestServer } from './support/test-server.js'

/*
 * A proof proves what it was computed over, and nothing else: a hash over the user id proves the
 * user id, and an email sent beside it is a claim (mallory must not borrow the CEO's address).
 */
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

describe.each(BACKENDS)('proven and claimed emails (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  beforeAll(async () => {
    server = await startBackendServer(backend)
    app = await server.createApp('Proven claims')
  })
  afterAll(() => server?.close())

  const auth = async (body: Record<string, unknown>) => {
    const res = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', ...body } })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    return res.body as { access_token: string; user: Record<string, unknown> }
  }
  /** Starts a conversation in the session and returns how teammates see its user. */
  const teammatesSee = async (token: string, body: string) => {
    expect((await server.request('POST', '/v1/messenger/conversations', { token, body: { body } })).status).toBe(201)
    const list = await server.admin('GET', `/admin/v1/apps/${app.appId}/conversations?limit=100`)
    expect(list.status).toBe(200)
    const ids = (await server.request('GET', '/v1/messenger/conversations', { token })).body.conversations.map((c: { id: string }) => c.id)
    return list.body.conversations.find((c: { id: string }) => c.id === ids[0]).user as Record<string, unknown>
  }

  it('a hash over the user id proves the user id only: the email beside it is a claim everywhere', async () => {
    const mallory = await auth({ user_id: 'mallory', email: 'ceo@bigcorp.example', user_hash: hmacHex(app.secrets.web, 'mallory') })
    expect(mallory.user).toMatchObject({ user_id: 'mallory', email: 'ceo@bigcorp.example', verified: true, email_verified: false })
    const claims = claimsOf(mallory.access_token)
    expect(claims.email).toBe('ceo@bigcorp.example')
    expect(claims.emv).toBeUndefined()
    expect((await server.request('GET', '/v1/messenger/me', { token: mallory.access_token })).body.user).toMatchObject({ verified: true, email_verified: false })
    expect(await teammatesSee(mallory.access_token, 'Wire the money')).toEqual({ user_id: 'mallory', email: 'ceo@bigcorp.example', email_verified: false, name: null })
    // Her profile row says so too.
    expect((await server.request('PATCH', '/v1/messenger/me', { token: mallory.access_token, body: { name: 'Mallory' } })).status).toBe(200)
    const row = await server.running.data.db.selectFrom('users').selectAll().where('app_id', '=', app.appId).where('user_key', '=', 'uid:mallory').executeTakeFirstOrThrow()
    expect([row.email, row.email_verified]).toEqual(['ceo@bigcorp.example', 0])
  })

  it('a hash over the email alone proves the email', async () => {
    const erin = await auth({ email: 'erin@example.com', user_hash: hmacHex(app.secrets.web, 'erin@example.com') })
    expect(erin.user).toMatchObject({ user_id: null, email: 'erin@example.com', verified: true, email_verified: true })
    expect(claimsOf(erin.access_token).emv).toBe(true)
    expect(await teammatesSee(erin.access_token, 'Hello')).toEqual({ user_id: null, email: 'erin@example.com', email_verified: true, name: null })
  })

  it('an identity token that signs both proves both, and one that signs the user id alone proves no email', async () => {
    const both = await auth({ identity_token: signHs256(app.secrets.web, { user_id: 'ada', email: 'ada@example.com', exp: epochSeconds(300), attributes: { plan: 'pro' } }) })
    expect(both.user).toMatchObject({ user_id: 'ada', email: 'ada@example.com', verified: true, email_verified: true })
    expect(claimsOf(both.access_token).emv).toBe(true)
    expect(await teammatesSee(both.access_token, 'Hi')).toMatchObject({ email: 'ada@example.com', email_verified: true })
    const row = await server.running.data.db.selectFrom('users').selectAll().where('app_id', '=', app.appId).where('user_key', '=', 'uid:ada').executeTakeFirstOrThrow()
    expect([row.email, row.email_verified]).toEqual(['ada@example.com', 1])

    const idOnly = await auth({ identity_token: signHs256(app.secrets.web, { user_id: 'grace', exp: epochSeconds(300) }) })
    expect(idOnly.user).toMatchObject({ user_id: 'grace', email: null, verified: true, email_verified: false })
  })

  it('an unverified or anonymous session proves no email', async () => {
    const claimed = await auth({ email: 'ceo@bigcorp.example' })
    expect(claimed.user).toMatchObject({ verified: false, email_verified: false })
    expect(await teammatesSee(claimed.access_token, 'Trust me')).toMatchObject({ email: 'ceo@bigcorp.example', email_verified: false })
    const wrongHash = await auth({ email: 'ceo@bigcorp.example', user_hash: hmacHex(app.secrets.ios, 'ceo@bigcorp.example') })
    expect(wrongHash.user).toMatchObject({ verified: false, email_verified: false })
    expect((await auth({})).user).toMatchObject({ anonymous: true, email_verified: false })
  })
})

describe.each(BACKENDS)('migration 0005-proven-claims on existing data (%s)', (backend) => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verity-proven-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  async function storage(b: Backend) {
    return parseStorageConfig({ dataDir: dir, ...(b === 'postgres' && { databaseUrl: await freshPostgresDatabase() }) }, {})
  }

  it('marks only email-only identities as proven (an email beside a user id may have been a claim), and keeps proofs in the statistics', async () => {
    const database = openDatabase(await storage(backend))
    try {
      const migrator = new Migrator({ db: database.db, provider: { getMigrations: async () => MIGRATIONS }, migrationTableName: 'verity_migrations', migrationLockTableName: 'verity_migrations_lock' })
      const before = await migrator.migrateTo('0003-conversations')
      expect(before.error).toBeUndefined()
      const at = new Date().toISOString()
      await database.db.insertInto('apps').values({ id: 'app_1', name: 'Old', environment: 'test', created_at: at, revision: 1 }).execute()
      const conversation = (id: string, trust: string, userId: string | null, email: string | null) =>
        ({ id, app_id: 'app_1', created_at: at, trust, user_key: userId ? `uid:${userId}` : `email:${email}`, user_id: userId, email, device_id: trust === 'verified' ? null : 'dev_1', platform: 'web', last_message_at: at }) as never
      await database.db
        .insertInto('conversations')
        .values([conversation('c_email', 'verified', null, 'a@example.com'), conversation('c_both', 'verified', 'mallory', 'ceo@example.com'), conversation('c_unverified', 'unverified', null, 'b@example.com')])
        .execute()
      const user = (userKey: string, userId: string | null, email: string | null) =>
        ({ app_id: 'app_1', user_key: userKey, user_id: userId, email, name: null, attributes: '{}', signed_attributes: '{}', signed_at: null, version: 1, updated_at: at }) as never
      await database.db.insertInto('users').values([user('email:a@example.com', null, 'a@example.com'), user('uid:mallory', 'mallory', 'ceo@example.com')]).execute()

      const attempt = (userKey: string, outcome: string, secretId: string | null) =>
        ({ app_id: 'app_1', platform: 'web', user_key: userKey, last_at: at, outcome, app_version: '2.0.0', sdk_version: null, secret_id: secretId }) as never
      await database.db.insertInto('user_attempts').values([attempt('k_verified', 'verified', 'sec_1'), attempt('k_missing', 'missing', null)]).execute()

      const report = await migrateToLatest(database.db)
      expect(report.error).toBeUndefined()
      expect(report.applied).toContain('0005-proven-claims')
      const conversations = await database.db.selectFrom('conversations').select(['id', 'email_verified']).orderBy('id').execute()
      expect(conversations.map((c) => [c.id, Number(c.email_verified)])).toEqual([['c_both', 0], ['c_email', 1], ['c_unverified', 0]])
      const users = await database.db.selectFrom('users').select(['user_key', 'email_verified']).orderBy('user_key').execute()
      expect(users.map((u) => [u.user_key, Number(u.email_verified)])).toEqual([['email:a@example.com', 1], ['uid:mallory', 0]])
      // A latest attempt that was a valid proof is that user's latest proof (services/rollout.ts).
      const attempts = await database.db.selectFrom('user_attempts').select(['user_key', 'proven_at', 'proven_app_version', 'proven_secret_id']).orderBy('user_key').execute()
      expect(attempts).toEqual([
        { user_key: 'k_missing', proven_at: null, proven_app_version: null, proven_secret_id: null },
        { user_key: 'k_verified', proven_at: at, proven_app_version: '2.0.0', proven_secret_id: 'sec_1' },
      ])
    } finally {
      await database.close()
    }
  })
})
