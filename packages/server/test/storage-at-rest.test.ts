import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { hmacHex } from './support/hmac.js'
import { startTestServer } from './support/test-server.js'

const dirs: string[] = []
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'verity-rest-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function allBytes(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f)).toString('latin1'))
    .join('')
}

describe('data at rest', () => {
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

  it('refuses to start when the master key does not open the existing data, and says what to do', async () => {
    const dir = freshDir()
    const key = randomBytes(32).toString('hex')
    const server = await startTestServer({ VERITY_MASTER_KEY: key }, dir)
    await server.createApp()
    await server.close({ keepData: true })
    await expect(startTestServer({ VERITY_MASTER_KEY: randomBytes(32).toString('hex') }, dir)).rejects.toThrow(/does not open the secrets.*VERITY_MASTER_KEY/)
    // Without the variable there is no key at all: refuse, and do not mint a key file that opens nothing.
    await expect(startTestServer({}, dir)).rejects.toThrow(/no master key.*VERITY_MASTER_KEY/)
    expect(readdirSync(dir)).not.toContain('master.key')
    const again = await startTestServer({ VERITY_MASTER_KEY: key }, dir)
    expect((await again.admin('GET', '/admin/v1/apps')).body.apps).toHaveLength(1)
    await again.close({ keepData: true })
  })

  it('keeps apps, secrets, enforcement and signing keys across a restart: tokens issued before still verify', async () => {
    const dir = freshDir()
    const first = await startTestServer({}, dir)
    const app = await first.createApp()
    await first.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/ios`, { enforced: true })
    const token = (await first.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', user_id: '1', user_hash: hmacHex(app.secrets.web, '1') } })).body.access_token
    await first.close({ keepData: true })
    const second = await startTestServer({}, dir)
    expect((await second.request('GET', '/v1/messenger/me', { token })).status).toBe(200)
    const refused = await second.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: '1' } })
    expect(refused.body.error.code).toBe('user_hash_missing')
    const ok = await second.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'ios', user_id: '1', user_hash: hmacHex(app.secrets.ios, '1') } })
    expect(ok.body.user.verified).toBe(true)
    await second.close({ keepData: true })
  })

  it('binds each ciphertext to its app: a secret row copied into another app does not verify there', async () => {
    const dir = freshDir()
    const server = await startTestServer({}, dir)
    const a = await server.createApp('A')
    const b = await server.createApp('B')
    await server.close({ keepData: true })
    const db = new SqliteDatabase(join(dir, 'verity.db'))
    const stolen = db.prepare('SELECT ciphertext FROM secrets WHERE id = ?').get(a.secretIds.web) as { ciphertext: string }
    db.prepare('UPDATE secrets SET ciphertext = ? WHERE id = ?').run(stolen.ciphertext, b.secretIds.web)
    db.close()
    const restarted = await startTestServer({}, dir)
    await restarted.admin('PATCH', `/admin/v1/apps/${b.appId}/platforms/web`, { enforced: true })
    const res = await restarted.request('POST', '/v1/messenger/auth', { body: { app_id: b.appId, platform: 'web', user_id: '1', user_hash: hmacHex(a.secrets.web, '1') } })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('user_hash_invalid')
    await restarted.close({ keepData: true })
  })
})
