import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../lib/processes.js'

/** The repository, from the compiled file (bench/dist/bench/soak/). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const VERITY_BIN = join(ROOT, 'packages/server/bin/verity.js')

export type Backend = 'sqlite' | 'postgres'

export interface ServerOptions {
  readonly backend: Backend
  /** Write a V8 CPU profile of the server into this folder (node --cpu-prof). */
  readonly cpuProfileDir?: string | undefined
  /** Leave the server's log in its temp folder (the data is removed anyway). */
  readonly keepLog?: boolean
}

export interface ServerProcess {
  readonly url: URL
  readonly pid: number
  readonly adminKey: string
  readonly backend: Backend
  readonly dataDir: string
  readonly logFile: string
  /** Settings given to the server beyond the defaults, to be said in the output. */
  readonly settings: Readonly<Record<string, string>>
  /** Resident memory of the server process in KiB (from /proc), null once it is gone. */
  rssKiB(): number | null
  /** Whether the process ended before it was asked to. */
  readonly exitedEarly: () => boolean
  /** Log lines at level error or fatal. */
  errorLines(): string[]
  /** SIGTERM, wait for the drain (and the CPU profile), then remove the temp folder (the log's errors are kept). */
  stop(): Promise<number | null>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitReady(url: URL, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`verity exited before it was ready:\n${tail(logFile)}`)
    try {
      if ((await fetch(new URL('/readyz', url))).ok) return
    } catch {
      // not listening yet
    }
    await sleep(100)
  }
  throw new Error(`verity was not ready within 60 s; see ${logFile}`)
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

interface Database {
  readonly url: string | null
  dispose(): Promise<void>
}

/** The embedded PostgreSQL of the test suite, with a fresh database; nothing for SQLite. */
async function openBackend(backend: Backend): Promise<Database> {
  if (backend === 'sqlite') return { url: null, dispose: async () => {} }
  const { startEmbeddedPostgres, createTestDatabase } = await import('../../packages/server/test/support/embedded-postgres.js')
  const postgres = await startEmbeddedPostgres()
  try {
    const url = await createTestDatabase(postgres.adminUrl)
    return { url, dispose: () => postgres.destroy() }
  } catch (error) {
    await postgres.destroy()
    throw error
  }
}

/**
 * `verity serve` from the built dist as a child process, on SQLite in a fresh temp data folder (or
 * on a fresh embedded PostgreSQL database), trusting loopback as its proxy so that the load can
 * come from many client addresses, as it does behind a real load balancer.
 */
export async function startServer(options: ServerOptions): Promise<ServerProcess> {
  const work = mkdtempSync(join(tmpdir(), 'verity-soak-'))
  const dataDir = join(work, 'data')
  const logFile = join(work, 'verity.log')
  const adminKey = randomBytes(32).toString('hex')
  const database = await openBackend(options.backend)
  const port = await freePort()
  const settings: Record<string, string> = { VERITY_TRUSTED_PROXIES: '127.0.0.1,::1' }
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []
  const child = spawn(process.execPath, [...nodeArgs, VERITY_BIN, 'serve', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      VERITY_ADMIN_KEY: adminKey,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
      ...settings,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = createWriteStream(logFile)
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  let stopping = false
  let finalErrors: string[] | undefined
  const readErrors = (): string[] =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => /"level":(50|60|"error"|"fatal")/.test(line))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = new URL(`http://127.0.0.1:${port}`)
  try {
    await waitReady(url, child, logFile)
  } catch (error) {
    child.kill('SIGKILL')
    await database.dispose()
    throw error
  }
  return {
    url,
    pid: child.pid!,
    adminKey,
    backend: options.backend,
    dataDir,
    logFile,
    settings,
    rssKiB() {
      try {
        const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        return match ? Number(match[1]) : null
      } catch {
        return null
      }
    },
    exitedEarly: () => !stopping && (child.exitCode !== null || child.signalCode !== null),
    errorLines: () => finalErrors ?? readErrors(),
    async stop() {
      stopping = true
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      const code = await exited
      clearTimeout(timer)
      await database.dispose()
      finalErrors = readErrors()
      rmSync(options.keepLog ? dataDir : work, { recursive: true, force: true })
      return code
    },
  }
}
