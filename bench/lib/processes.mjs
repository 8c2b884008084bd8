// Starting, pinning, watching and stopping the processes of a benchmark run.
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import net from 'node:net'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

export const ROOT = new URL('../../', import.meta.url).pathname
export const VERITY_BIN = join(ROOT, 'packages/server/bin/verity.js')

export function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

/** Server on core 0, load generator on core 1, when the machine has two cores and taskset. */
export const PINNING = hasCommand('taskset') && availableParallelism() >= 2
export const SERVER_CPU = '0'
export const LOAD_CPU = '1'

/** A command line, prefixed with `taskset -c cpu` when pinning is possible and a cpu is given. */
export function pinned(cpu, command, args) {
  return PINNING && cpu !== null ? ['taskset', ['-c', cpu, command, ...args]] : [command, args]
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/**
 * Spawns a server process; its output goes to a log file. taskset execs the command, so the pid is
 * the server's own (for /proc/<pid>/status).
 */
export function startProcess({ name, cpu, nodeArgs = [], script, args = [], env = {}, logDir }) {
  const [command, argv] = pinned(cpu, process.execPath, [...nodeArgs, script, ...args])
  const logFile = join(logDir, `${name}.log`)
  const log = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  child.logFile = logFile
  child.name = name
  return child
}

export async function waitReady(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  let exited = false
  child.exited.then(() => (exited = true))
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before it was ready; see ${child.logFile}:\n${tail(child.logFile)}`)
    try {
      const res = await fetch(url)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await sleep(50)
  }
  throw new Error(`${child.name} was not ready within ${timeoutMs} ms; see ${child.logFile}`)
}

export async function stopProcess(child, timeoutMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const result = await child.exited
  clearTimeout(timer)
  return result
}

/** Resident memory in KiB, from /proc/<pid>/status (null where /proc is missing). */
export function rssKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status)
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

export function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Runs a command to completion and returns its stdout (throws on a non-zero exit). */
export function run(command, args, { cpu = null, input } = {}) {
  const [cmd, argv] = pinned(cpu, command, args)
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${err || out}`))))
    child.stdin.end(input ?? '')
  })
}
