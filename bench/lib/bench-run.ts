// One run of `npm run bench`: its temp folder, the servers it started (stopped however it ends),
// its machine description and its reports.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { WRK, type Tool } from './load-tools.js'
import { freePort, LOAD_CPU, PINNING, ROOT, SERVER_CPU, startProcess, stopProcess, VERITY_BIN, waitReady, type BenchProcess, type Cpu } from './processes.js'
import type { DataLocation } from './seed.js'

export const say = (text: string): void => void process.stderr.write(`${text}\n`)

export interface Server {
  readonly name: string
  readonly port: number
  readonly proc: BenchProcess
}

export interface Machine {
  readonly cpu: string
  readonly cores: number
  readonly node: string
  readonly os: string
  readonly wrk: string | null
  readonly tool: Tool
  readonly pinning: string
  readonly load_average_at_start: number[]
  readonly commit: string
}

export interface VerityOptions {
  readonly cpu?: Cpu
  readonly workers?: number
  readonly nodeArgs?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
}

export class BenchRun {
  readonly startedAt = new Date()
  readonly adminKey = randomBytes(32).toString('hex')
  readonly work = mkdtempSync(join(tmpdir(), 'verity-bench-'))
  readonly #children = new Set<BenchProcess>()

  async startVerity(name: string, location: DataLocation, { cpu = SERVER_CPU, workers = 1, nodeArgs = [], env = {} }: VerityOptions = {}): Promise<Server> {
    const port = await freePort()
    const storage: { args: string[]; env: Record<string, string> } =
      location.databaseUrl === undefined
        ? { args: ['--data-dir', location.dataDir], env: {} }
        : { args: [], env: { DATABASE_URL: location.databaseUrl, VERITY_MASTER_KEY: location.masterKeyHex } }
    const proc = startProcess({
      name,
      cpu,
      nodeArgs,
      script: VERITY_BIN,
      args: ['serve', '--host', '127.0.0.1', '--port', String(port), ...storage.args, ...(workers > 1 ? ['--workers', String(workers)] : [])],
      // The load generator is one client address: the per-address allowance of sessions without a
      // proof (VERITY_CLIENT_SESSION_RATE) would answer auth-anonymous with 429 after 120.
      env: { NODE_ENV: 'production', LOG_LEVEL: 'warn', VERITY_ADMIN_KEY: this.adminKey, VERITY_CLIENT_SESSION_RATE: '10000000', ...storage.env, ...env },
      logDir: this.work,
    })
    this.#children.add(proc)
    await waitReady(`http://127.0.0.1:${port}/readyz`, proc)
    return { name, port, proc }
  }

  async startRaw(): Promise<Server> {
    const port = await freePort()
    const proc = startProcess({ name: 'raw', cpu: SERVER_CPU, script: join(ROOT, 'bench/raw-baseline.mjs'), args: [String(port)], logDir: this.work })
    this.#children.add(proc)
    await waitReady(`http://127.0.0.1:${port}/`, proc)
    return { name: 'raw', port, proc }
  }

  async stop(server: Server | null): Promise<void> {
    if (!server) return
    await stopProcess(server.proc)
    this.#children.delete(server.proc)
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => stopProcess(c)))
    this.#children.clear()
  }

  /** On SIGINT/SIGTERM: no server outlives the run. */
  killAll(): void {
    for (const c of this.#children) c.child.kill('SIGKILL')
  }

  removeWork(): void {
    rmSync(this.work, { recursive: true, force: true })
  }

  reportName(suffix: string): string {
    const d = this.startedAt.toISOString()
    return `${d.slice(0, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${suffix}`
  }

  writeReport(name: string, json: unknown, md: string): void {
    const dir = join(ROOT, 'bench/results')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`)
    writeFileSync(join(dir, `${name}.md`), md)
    say(`\nreport: bench/results/${name}.md and .json`)
  }

  elapsedS(): number {
    return Math.round((Date.now() - this.startedAt.getTime()) / 1000)
  }
}

/** Lines at level error or fatal in a server's log (the first five). */
export function serverErrors(server: Server): string[] {
  const lines = readFileSync(server.proc.logFile, 'utf8').split('\n').filter((l) => /"level":"(error|fatal)"/.test(l))
  return lines.slice(0, 5)
}

export function machine(tool: Tool): Machine {
  const wrkVersion = WRK ? (/wrk\s+(\S+)/.exec(spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown') : null
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? ''
  const dirty = (spawnSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() ?? '') !== ''
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.version,
    os: `${process.platform} ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}`,
    wrk: wrkVersion,
    tool,
    pinning: PINNING ? `server on core ${SERVER_CPU}, load generator on core ${LOAD_CPU} (taskset)` : 'none (no taskset or one core)',
    load_average_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
    commit: git ? `${git}${dirty ? ' + uncommitted changes in packages/' : ''}` : 'unknown',
  }
}

export interface JsonAnswer {
  readonly status: number
  readonly body: any
}

export async function fetchJson(port: number, method: string, path: string, { body, token }: { body?: string | undefined; token?: string | undefined } = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token) headers.authorization = `Bearer ${token}`
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers, ...(body !== undefined && { body }) })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : undefined }
}
