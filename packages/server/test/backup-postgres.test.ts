// The PostgreSQL backup that docs/operations.md gives, run as written: pg_dump while Verity
// serves, pg_restore into a new database, Verity on the copy. Debian's PostgreSQL 15 serves here,
// since pg_dump must be as new as the server and the embedded PostgreSQL ships without it.
import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SHARED_MASTER_KEY } from './support/backends.js'
import { startEmbeddedPostgres, type EmbeddedPostgres } from './support/embedded-postgres.js'
import { startTestServer, type TestServer } from './support/test-server.js'

const PG_BIN = '/usr/lib/postgresql/15/bin'
let postgres: EmbeddedPostgres
let work: string
const servers: TestServer[] = []

function pg(tool: string, args: string[]): string {
  return execFileSync(join(PG_BIN, tool), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'verity-pgdump-'))
  postgres = await startEmbeddedPostgres({ binDir: PG_BIN })
  pg('createdb', ['--maintenance-db', postgres.adminUrl, 'verity'])
}, 60_000)

afterAll(async () => {
  for (const server of servers) await server.close()
  await postgres?.destroy()
  rmSync(work, { recursive: true, force: true })
})

describe('backup and restore of a PostgreSQL database with pg_dump and pg_restore', () => {
  it('restores every app written before the dump, with secrets that still verify', async () => {
    const env = { DATABASE_URL: postgres.urlFor('verity'), VERITY_MASTER_KEY: SHARED_MASTER_KEY }
    const live = await startTestServer(env)
    servers.push(live)
    const apps = []
    for (let i = 0; i < 5; i++) apps.push(await live.createApp(`app ${i}`))
    const visitor = await live.request('POST', '/v1/messenger/auth', { body: { app_id: apps[0]!.appId, platform: 'web' } })
    expect(visitor.status).toBe(200)

    const dump = join(work, 'verity.dump')
    pg('pg_dump', ['--format=custom', '--file', dump, postgres.urlFor('verity')])
    pg('createdb', ['--maintenance-db', postgres.adminUrl, 'verity_restored'])
    pg('pg_restore', ['--no-owner', '--dbname', postgres.urlFor('verity_restored'), dump])

    const restored = await startTestServer({ ...env, DATABASE_URL: postgres.urlFor('verity_restored') })
    servers.push(restored)
    const listed = await restored.admin('GET', '/admin/v1/apps?limit=100')
    expect(listed.status).toBe(200)
    expect(listed.body.apps.map((a: { id: string }) => a.id).sort()).toEqual(apps.map((a) => a.appId).sort())
    const app = apps[3]!
    const auth = await restored.request('POST', '/v1/messenger/auth', {
      body: { app_id: app.appId, platform: 'web', user_id: '7', user_hash: createHmac('sha256', app.secrets.web).update('7').digest('hex') },
    })
    expect(auth.status).toBe(200)
    expect(auth.body.user.verified).toBe(true)
  })
})
