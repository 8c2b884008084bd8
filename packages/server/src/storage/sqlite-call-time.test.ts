import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../config/server-config.js'
import { openDatabase, type OpenDatabase } from './open-database.js'

describe('SQLite: how long storage holds the event loop', () => {
  let dir: string
  let database: OpenDatabase
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'verity-call-time-'))
    database = openDatabase(parseStorageConfig({ dataDir: dir }, {}))
  })
  afterAll(async () => {
    await database.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reports the longest call since the last look, then starts over', async () => {
    database.longestCallMs!()
    await sql`select 1`.execute(database.db)
    const started = performance.now()
    // A query that computes for a while: a count to two million.
    const { rows } = await sql<{ n: number }>`with recursive c(i) as (select 1 union all select i + 1 from c where i < 2000000) select count(*) as n from c`.execute(database.db)
    const wall = performance.now() - started
    expect(rows[0]!.n).toBe(2_000_000)
    const longest = database.longestCallMs!()
    expect(longest).toBeGreaterThan(wall / 2)
    expect(longest).toBeLessThanOrEqual(wall)
    expect(database.longestCallMs!()).toBe(0)
  })

  it('times each step of a streamed read, which also runs on the loop', async () => {
    database.longestCallMs!()
    let rows = 0
    for await (const _ of database.db.selectNoFrom((eb) => eb.val(1).as('one')).stream()) rows++
    expect(rows).toBe(1)
    expect(database.longestCallMs!()).toBeGreaterThan(0)
  })
})
