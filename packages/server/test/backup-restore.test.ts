// `verity backup` while the server takes writes, then `verity restore` into a new folder and a
// server on the copy: every write acknowledged before the backup began is there, and the secrets
// decrypt with the saved key. SQLite only: a PostgreSQL database is backed up with pg_dump.
import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runVerity } from './support/run-cli.js'
import { startTestServer, type TestServer } from './support/test-server.js'

let work: string
let server: TestServer
let restored: TestServer | undefined

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'verity-backup-'))
  server = await startTestServer({}, join(work, 'live'))
})

afterAll(async () => {
  await restored?.close()
  await server?.close()
  rmSync(work, { recursive: true, force: true })
})

interface Created {
  id: string
  webSecret: string
}

describe('backup and restore (SQLite)', () => {
  it('a backup taken under writes restores every write acknowledged before it began', async () => {
    const acknowledged: { app: Created; at: number }[] = []
    let writing = true
    const writer = async (lane: number) => {
      for (let i = 0; writing; i++) {
        const { appId, secrets } = await server.createApp(`lane ${lane} app ${i}`)
        acknowledged.push({ app: { id: appId, webSecret: secrets.web }, at: Date.now() })
      }
    }
    const lanes = [0, 1, 2].map(writer)
    while (acknowledged.length < 30) await new Promise((r) => setTimeout(r, 20))

    const backupFile = join(work, 'verity.backup')
    const began = Date.now()
    const backup = await runVerity(['backup', '--data-dir', server.dataDir, '--to', backupFile, '--json'])
    const writtenDuringBackup = acknowledged.filter((a) => a.at > began).length
    writing = false
    await Promise.all(lanes)

    expect(backup.code, backup.stderr).toBe(0)
    expect(statSync(backupFile).mode & 0o777).toBe(0o600)
    const backedUp = JSON.parse(backup.stdout).backup.tables as Record<string, number>
    const before = acknowledged.filter((a) => a.at < began)
    expect(backedUp.apps).toBeGreaterThanOrEqual(before.length)

    const restoreDir = join(work, 'restored')
    const restore = await runVerity(['restore', '--from', backupFile, '--data-dir', restoreDir, '--master-key-file', join(server.dataDir, 'master.key'), '--json'])
    expect(restore.code, restore.stderr).toBe(0)
    expect(JSON.parse(restore.stdout).restored.tables).toEqual(backedUp)

    restored = await startTestServer({}, restoreDir)
    const ids = new Set<string>()
    for (let cursor: string | null = null; ; ) {
      const page = await restored.admin('GET', `/admin/v1/apps?limit=100${cursor ? `&cursor=${cursor}` : ''}`)
      expect(page.status).toBe(200)
      for (const app of page.body.apps) ids.add(app.id)
      cursor = page.body.next_cursor
      if (!cursor) break
    }
    expect(ids.size).toBe(backedUp.apps)
    for (const { app } of before) expect(ids.has(app.id)).toBe(true)
    // The writers kept going while the backup ran; the log shows the snapshot did not stop them.
    console.log(`backup under load: ${before.length} apps acknowledged before it, ${writtenDuringBackup} during it, ${backedUp.apps} in it`)

    // The secrets decrypt: a hash made with a restored app's web secret verifies.
    const { app } = before[0]!
    const auth = await restored.request('POST', '/v1/messenger/auth', {
      body: { app_id: app.id, platform: 'web', user_id: '42', user_hash: createHmac('sha256', app.webSecret).update('42').digest('hex') },
    })
    expect(auth.status).toBe(200)
    expect(auth.body.user.verified).toBe(true)
  })

  it('restore refuses a folder that is not empty, a missing key and a file that is not a backup', async () => {
    const backupFile = join(work, 'second.backup')
    expect((await runVerity(['backup', '--data-dir', server.dataDir, '--to', backupFile])).code).toBe(0)
    const again = await runVerity(['backup', '--data-dir', server.dataDir, '--to', backupFile, '--json'])
    expect(again.code).toBe(3)
    expect(JSON.parse(again.stdout).error.code).toBe('invalid_request')

    const key = join(server.dataDir, 'master.key')
    const intoLive = await runVerity(['restore', '--from', backupFile, '--data-dir', server.dataDir, '--master-key-file', key, '--json'])
    expect(intoLive.code).toBe(2)
    expect(intoLive.stdout).toMatch(/not empty/)

    const noKey = await runVerity(['restore', '--from', backupFile, '--data-dir', join(work, 'no-key'), '--json'])
    expect(noKey.code).toBe(2)
    expect(noKey.stdout).toMatch(/master key/)

    const notBackup = await runVerity(['restore', '--from', key, '--data-dir', join(work, 'not-backup'), '--master-key-file', key, '--json'])
    expect(notBackup.code).toBe(3)
    expect(JSON.parse(notBackup.stdout).error.code).toBe('invalid_request')

    const wrongKey = join(work, 'wrong.key')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(wrongKey, `${'cd'.repeat(32)}\n`, { mode: 0o600 })
    const wrong = await runVerity(['restore', '--from', backupFile, '--data-dir', join(work, 'wrong-key'), '--master-key-file', wrongKey, '--json'])
    expect(wrong.code).toBe(3)
    expect(JSON.parse(wrong.stdout).error.message).toMatch(/master key/i)
  })

  it('backup of a PostgreSQL database points to pg_dump', async () => {
    const result = await runVerity(['backup', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--to', join(work, 'pg.backup'), '--json'])
    expect(result.code).toBe(2)
    expect(JSON.parse(result.stdout).error.message).toMatch(/pg_dump --format=custom/)
  })
})
