// Starting, pinning, watching and stopping the processes of a benchmark run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import net from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository, from the compiled file (bench/dist/bench/lib/). */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
export const VERITY_BIN = join(ROOT, 'packages/server/bin/verity.js')

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** Server on core 0, load generator on core 1, when the machine has two cores and taskset. */
export const PINNING = hasCommand('taskset') && availableParallelism() >= 2
export const SERVER_CPU = '0'
export const LOAD_CPU = '1'

/** A core to pin to, or null for none. */
export type Cpu = string | null

/** A command line, prefixed with `taskset -c cpu` when pinning is possible and a cpu is given. */
export function pinned(cpu: Cpu, command: string, args: readonly string[]): [string, string[]] {
  return PINNING && cpu !== null ? ['taskset', ['-c', cpu, command, ...args]] : [command, [...args]]
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A spawned server process with its log file. */
export interface BenchProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly pid: number
  readonly logFile: string
  readonly exited: Promise<Exit>
}

export interface StartProcessOptions {
  readonly name: string
  readonly cpu: Cpu
  readonly nodeArgs?: readonly string[]
  readonly script: string
  readonly args?: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly logDir: string
}

/**
 * Spawns a server process; its output goes to a log file. taskset execs the command, so the pid is
 * the server's own (for /proc/<pid>/status).
 */
export function startProcess({ name, cpu, nodeArgs = [], script, args = [], env = {}, logDir }: StartProcessOptions): BenchProcess {
  const [command, argv] = pinned(cpu, process.execPath, [...nodeArgs, script, ...args])
  const logFile = join(logDir, `${name}.log`)
  const log = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.pipe(log)
  child.stderr!.pipe(log)
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { name, child, pid: child.pid!, logFile, exited }
}

export async function waitReady(url: string, proc: BenchProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let exited = false
  void proc.exited.then(() => (exited = true))
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${proc.name} exited before it was ready; see ${proc.logFile}:\n${tail(proc.logFile)}`)
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error(`${proc.name} was not ready within ${timeoutMs} ms; see ${proc.logFile}`)
}

export async function stopProcess(proc: BenchProcess, timeoutMs = 15_000): Promise<Exit> {
  const { child } = proc
  if (child.exitCode !== null || child.signalCode !== null) return proc.exited
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const result = await proc.exited
  clearTimeout(timer)
  return result
}

/** Resident memory in KiB, from /proc/<pid>/status (null where /proc is missing). */
export function rssKiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status)
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs a command to completion and returns its stdout (throws on a non-zero exit). */
export function run(command: string, args: readonly string[], { cpu = null, input }: { cpu?: Cpu; input?: string } = {}): Promise<string> {
  const [cmd, argv] = pinned(cpu, command, args)
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err || out}`))))
    child.stdin.end(input ?? '')
  })
}
