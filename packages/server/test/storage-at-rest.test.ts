import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import { sql } from 'kysely'
import { BACKENDS, startBackendServer, startOnSameData } from './support/backends.js'
import { startTestServer, type TestServer } from './support/test-server.js'

const dirs: string[] = []
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'verity-rest-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Every byte of a SQLite data folder: the database, its WAL, the key file. */
function allBytes(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('')
}

/** Every row of every table of a PostgreSQL database, as text (bytea as hex). */
async function allRows(server: TestServer): Promise<string> {
  const db = server.running.data.db
  const tables = await sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`.execute(db)
  let text = ''
  for (const { name } of tables.rows) text += (await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(name)} t`.execute(db)).rows.map((r) => r.row).join('\n')
  return text
}

const verifiedAuth = (server: TestServer, appId: string, platform: string, secret: string) =>
  server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform, user_id: '1', user_hash: hmacHex(secret, '1') } })

describe('data at rest in SQLite files', () => {
  it('stores no secret in clear: not in the database file, its WAL, or any encoding', async () => {
    const dir = freshDir()
    const server = await startTestServer({}, dir)
    const app = await server.createApp()
    await server.close({ keepData: true })
    const bytes = allBytes(dir)
    for (const value of Object.values(app.secrets)) {
      const raw = value.slice(4)
      for (const form of [value, raw, Buffer.from(raw, 'hex').toString('latin1'), Buffer.from(value).toString('base64')]) expect(bytes).not.toContain(form)
    }
  })

  it('makes a master key file with mode 0600 and the database in the data folder', async () => {
    const dir = freshDir()
    const server = await startTestServer({}, dir)
    await server.close({ keepData: true })
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(dir, 'master.key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
    const db = new SqliteDatabase(join(dir, 'verity.db'), { readonly: true })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('creates the database, its WAL and shared memory readable by the owner only, in a folder that already existed', async () => {
    const dir = freshDir()
    // A folder made beforehand, readable by everyone (as `mkdir` makes it), so it protects nothing.
    chmodSync(dir, 0o755)
    const server = await startTestServer({}, dir)
    try {
      await server.createApp()
      for (const file of ['verity.db', 'verity.db-wal', 'verity.db-shm']) expect([file, statSync(join(dir, file)).mode & 0o777]).toEqual([file, 0o600])
    } finally {
      await server.close()
    }
  })

  it('without VERITY_MASTER_KEY on data made with one, refuses and mints no key file that opens nothing', async () => {
    const dir = freshDir()
    const server = await startTestServer({ VERITY_MASTER_KEY: randomBytes(32).toString('hex') }, dir)
    await server.createApp()
    await server.close({ keepData: true })
    await expect(startTestServer({}, dir)).rejects.toThrow(/no master key.*VERITY_MASTER_KEY/)
    expect(readdirSync(dir)).not.toContain('master.key')
  })
})

describe.each(BACKENDS)('data at rest (%s)', (backend) => {
  it('stores no secret in clear, in any table or encoding', async () => {
    const server = await startBackendServer(backend)
    const app = await server.createApp()
    await verifiedAuth(server, app.appId, 'web', app.secrets.web)
    await server.running.events.flush()
    try {
      const stored = backend === 'sqlite' ? allBytes(server.dataDir) : await allRows(server)
      expect(stored).toContain(app.appId) // the rows were read
      for (const value of Object.values(app.secrets)) {
        const raw = value.slice(4)
        for (const form of [value, raw, Buffer.from(raw, 'hex').toString('latin1'), Buffer.from(value).toString('base64')]) expect(stored).not.toContain(form)
      }
    } finally {
      await server.close()
    }
  })

  it('refuses to start when the master key does not open the existing data, and says what to do', async () => {
    const key = randomBytes(32).toString('hex')
    const server = await startBackendServer(backend, { VERITY_MASTER_KEY: key })
    await server.createApp()
    await server.close({ keepData: true })
    try {
      await expect(startOnSameData(server, { VERITY_MASTER_KEY: randomBytes(32).toString('hex') })).rejects.toThrow(/does not open the secrets.*VERITY_MASTER_KEY/)
      const again = await startOnSameData(server, { VERITY_MASTER_KEY: key })
      expect((await again.admin('GET', '/admin/v1/apps')).body.apps).toHaveLength(1)
      await again.close()
    } finally {
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })

  it('keeps apps, secrets, enforcement and signing keys across a restart: tokens issued before still verify', async () => {
    const first = await startBackendServer(backend)
    const app = await first.createApp()
    await first.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/ios`, { enforced: true })
    const token = (await verifiedAuth(first, app.appId, 'web', app.secrets.web)).body.access_token
    await first.close({ keepData: true })
    const second = await startOnSameData(first)
    try {
      expect((await second.request('GET', '/v1/messenger/me', { token })).status).toBe(200)
      const refused = await second.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: '1' } })
      expect([refused.status, refused.body.error.code]).toEqual([401, 'user_hash_missing'])
      const ok = await verifiedAuth(second, app.appId, 'ios', app.secrets.ios)
      expect(ok.body.user.verified).toBe(true)
    } finally {
      await second.close()
      rmSync(first.dataDir, { recursive: true, force: true })
    }
  })

  it('binds each ciphertext to its app: a secret row copied into another app does not verify there', async () => {
    const server = await startBackendServer(backend)
    const a = await server.createApp('A')
    const b = await server.createApp('B')
    const db = server.running.data.db
    const stolen = await db.selectFrom('secrets').select('ciphertext').where('id', '=', a.secretIds.web).executeTakeFirstOrThrow()
    await db.updateTable('secrets').set({ ciphertext: stolen.ciphertext }).where('id', '=', b.secretIds.web).execute()
    await server.close({ keepData: true })
    const restarted = await startOnSameData(server)
    try {
      await restarted.admin('PATCH', `/admin/v1/apps/${b.appId}/platforms/web`, { enforced: true })
      const res = await verifiedAuth(restarted, b.appId, 'web', a.secrets.web)
      expect([res.status, res.body.error.code]).toEqual([401, 'user_hash_invalid'])
    } finally {
      await restarted.close()
      rmSync(server.dataDir, { recursive: true, force: true })
    }
  })
})
