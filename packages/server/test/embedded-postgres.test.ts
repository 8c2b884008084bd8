// The test PostgreSQL helper itself: the sweep of servers left behind by a test run that was
// killed. (Stop and restart on the same port, data kept, are exercised by postgres-failure.test.ts.)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startEmbeddedPostgres, sweepStalePostgres } from './support/embedded-postgres.js'

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' })
  return Number(child.stdout.trim())
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('embedded PostgreSQL for tests', () => {
  it('sweeps what a killed run left behind, and only that', async () => {
    // An orphan: a running postgres whose owning test process is gone.
    const orphan = await startEmbeddedPostgres()
    const postmasterPid = Number(readFileSync(join(orphan.root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0])
    writeFileSync(join(orphan.root, 'owner.pid'), String(deadPid()))
    // A folder of a run in progress (this process owns it) must stay.
    const live = mkdtempSync(join(tmpdir(), 'pgtest-'))
    writeFileSync(join(live, 'owner.pid'), String(process.pid))
    // A folder without an owner file is being created right now by someone: left alone.
    const young = mkdtempSync(join(tmpdir(), 'pgtest-'))
    mkdirSync(join(young, 'data'))
    try {
      sweepStalePostgres()
      expect(existsSync(orphan.root)).toBe(false)
      await expect.poll(() => alive(postmasterPid), { timeout: 5_000 }).toBe(false)
      expect(existsSync(live)).toBe(true)
      expect(existsSync(young)).toBe(true)
    } finally {
      await orphan.destroy()
      for (const dir of [live, young]) spawnSync('rm', ['-rf', dir])
    }
  })
})
