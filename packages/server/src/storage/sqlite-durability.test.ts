import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../config/server-config.js'
import { durably } from './durable-commits.js'
import { openDatabase, SQLITE_FILE, type OpenDatabase } from './open-database.js'
import { SERVING_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer.js'

const FULL = 2
const NORMAL = 1

describe('SQLite: what a commit syncs, and who checkpoints', () => {
  const opened: OpenDatabase[] = []
  const dirs: string[] = []
  const open = (env: Record<string, string> = {}, backgroundCheckpoints = false): OpenDatabase => {
    const dir = mkdtempSync(join(tmpdir(), 'verity-durability-'))
    dirs.push(dir)
    const database = openDatabase(parseStorageConfig({ dataDir: dir }, env), { backgroundCheckpoints })
    opened.push(database)
    return database
  }
  const level = async (database: OpenDatabase): Promise<number> =>
    Number((await sql<{ synchronous: number }>`pragma synchronous`.execute(database.db)).rows[0]!.synchronous)

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((d) => d.close()))
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('syncs durable writes (configuration) and leaves ordinary commits to the checkpoint', async () => {
    const database = open()
    expect(await level(database)).toBe(NORMAL)
    expect(await durably(database.db, () => level(database))).toBe(FULL)
    expect(await level(database)).toBe(NORMAL)
  })

  it('keeps every overlapping durable write synced, whatever order they end in', async () => {
    const database = open()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const first = durably(database.db, async () => {
      await held
      return level(database)
    })
    const second = durably(database.db, () => level(database))
    expect(await second).toBe(FULL)
    // The second ended first: the first still runs synced.
    release()
    expect(await first).toBe(FULL)
    expect(await level(database)).toBe(NORMAL)
    // A durable write that starts as the last one ends is synced too.
    const [a, b] = await Promise.all([durably(database.db, () => level(database)), durably(database.db, () => level(database))])
    expect([a, b]).toEqual([FULL, FULL])
  })

  it('syncs every commit with VERITY_SQLITE_SYNCHRONOUS=full', async () => {
    const database = open({ VERITY_SQLITE_SYNCHRONOUS: 'full' })
    expect(await level(database)).toBe(FULL)
    expect(await durably(database.db, () => level(database))).toBe(FULL)
    expect(await level(database)).toBe(FULL)
  })

  it('refuses an unknown VERITY_SQLITE_SYNCHRONOUS, naming the variable', () => {
    expect(() => parseStorageConfig({}, { VERITY_SQLITE_SYNCHRONOUS: 'off' })).toThrow(/VERITY_SQLITE_SYNCHRONOUS/)
  })

  it('copies the log into the database file from a worker thread, not the serving connection', async () => {
    const database = open({}, true)
    const file = join(dirs[0]!, SQLITE_FILE)
    const autocheckpoint = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(database.db)
    expect(Number(autocheckpoint.rows[0]!.wal_autocheckpoint)).toBe(SERVING_AUTOCHECKPOINT_PAGES)
    await sql`create table filler (body text)`.execute(database.db)
    const before = statSync(file).size
    const body = 'x'.repeat(4000)
    for (let i = 0; i < 1000; i++) await sql`insert into filler (body) values (${body})`.execute(database.db)
    // 4 MB is under the serving connection's threshold (16 MiB), so only the worker can grow the file.
    const deadline = Date.now() + 5_000
    while (statSync(file).size < before + 3_000_000 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(statSync(file).size).toBeGreaterThanOrEqual(before + 3_000_000)
  })

  it('keeps the log bounded while commits never stop (a checkpoint elsewhere cannot restart it)', async () => {
    const database = open({}, true)
    const wal = join(dirs[0]!, `${SQLITE_FILE}-wal`)
    await sql`create table filler (body text)`.execute(database.db)
    const body = 'x'.repeat(4000)
    // 80 MB of commits, one after another, with the worker copying meanwhile.
    let largest = 0
    for (let i = 0; i < 20_000; i++) {
      await sql`insert into filler (body) values (${body})`.execute(database.db)
      if (i % 500 === 0) {
        largest = Math.max(largest, statSync(wal).size)
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    largest = Math.max(largest, statSync(wal).size)
    expect(largest).toBeLessThan(64 * 1024 * 1024)
  })

  it('without the worker, a short-lived process checkpoints as SQLite always does', async () => {
    const database = open()
    const autocheckpoint = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(database.db)
    expect(Number(autocheckpoint.rows[0]!.wal_autocheckpoint)).toBe(1000)
  })
})
