// Closed-loop throughput runs with wrk (a Lua script rotates prepared requests) or, where wrk is
// missing, autocannon; and the fixed-rate and fixed-count runs with bench/lib/loader.mjs.
// Every load generator runs in its own process, pinned to the load core when pinning is possible.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hasCommand, LOAD_CPU, ROOT, run, type Cpu } from './processes.js'

export const WRK = hasCommand('wrk')
export type Tool = 'wrk' | 'autocannon'
let runNonce = 0

export type Headers = Readonly<Record<string, string>>

/** One prepared request of a rotation. */
export interface PreparedRequest {
  readonly headers?: Headers
  readonly body?: string
}

/** What a load generator sends: prepared requests in rotation, or unique bodies from a counter. */
export interface LoadSpec {
  readonly name: string
  readonly port: number
  readonly method: string
  readonly path: string
  readonly rotate?: readonly PreparedRequest[]
  readonly unique?: { readonly headers: Headers; readonly prefix: string; readonly suffix: string }
}

export interface ClosedLoopResult {
  readonly tool: Tool
  readonly rps: number
  readonly p50_ms: number
  readonly p99_ms: number
  readonly max_ms: number
  readonly requests: number
  readonly non2xx: number
  readonly socket_errors: number
}

/** What bench/lib/loader.mjs prints. */
export interface LoaderResult {
  readonly statuses: Readonly<Record<string, number>>
  readonly errors: number
  readonly rate_achieved: number
  readonly latency_us: { readonly p50: number; readonly p99: number; readonly p999: number; readonly max: number }
}

/** A Lua long string that cannot be closed by its content. */
function luaString(s: string): string {
  let level = 1
  while (s.includes(`]${'='.repeat(level)}]`)) level++
  const eq = '='.repeat(level)
  return `[${eq}[${s}]${eq}]`
}

function luaHeaders(headers: Headers = {}): string {
  return `{ ${Object.entries(headers).map(([k, v]) => `[ ${luaString(k)} ] = ${luaString(String(v))}`).join(', ')} }`
}

/** The wrk script for a scenario: prepared requests in rotation, or a counter for unique bodies. */
export function wrkScript(spec: LoadSpec): string {
  const lines = [`local method, path = ${luaString(spec.method)}, ${luaString(spec.path)}`]
  if (spec.unique) {
    lines.push(
      `local headers = ${luaHeaders(spec.unique.headers)}`,
      `local prefix, suffix = ${luaString(spec.unique.prefix)}, ${luaString(spec.unique.suffix)}`,
      'local counter = 0',
      'request = function()',
      '  counter = counter + 1',
      '  return wrk.format(method, path, headers, prefix .. counter .. suffix)',
      'end',
    )
  } else {
    lines.push('local specs = {')
    for (const r of spec.rotate ?? []) {
      lines.push(`  { headers = ${luaHeaders(r.headers)}, body = ${r.body === undefined ? 'nil' : luaString(r.body)} },`)
    }
    lines.push(
      '}',
      'local reqs, n, i = {}, 0, 0',
      'init = function(args)',
      '  for k, s in ipairs(specs) do reqs[k] = wrk.format(method, path, s.headers, s.body) end',
      '  n = #reqs',
      'end',
      'request = function()',
      '  i = i % n + 1',
      '  return reqs[i]',
      'end',
    )
  }
  lines.push(
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format(\'BENCH_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p99":%d,"max":%d}\\n\',',
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency:percentile(50), latency:percentile(99), latency.max))',
    'end',
  )
  return `${lines.join('\n')}\n`
}

export interface ClosedLoopOptions {
  readonly warmupS: number
  readonly durationS: number
  readonly connections: number
  readonly workDir: string
  readonly tool?: Tool
  readonly cpu?: Cpu
}

interface WrkSummary {
  requests: number
  duration_us: number
  connect: number
  read: number
  write: number
  status: number
  timeout: number
  p50: number
  p99: number
  max: number
}

/**
 * One closed-loop measurement: a warm-up run (discarded) then the measured run, each from a
 * fresh load-generator process with `connections` keep-alive connections.
 */
export async function closedLoop(spec: LoadSpec, { warmupS, durationS, connections, workDir, tool = WRK ? 'wrk' : 'autocannon', cpu = LOAD_CPU }: ClosedLoopOptions): Promise<ClosedLoopResult> {
  if (tool === 'wrk') {
    const url = `http://127.0.0.1:${spec.port}${spec.path}`
    // Unique bodies get a fresh prefix per process: wrk's counter starts again at 1 each time.
    const wrkRun = (seconds: number) => {
      const script = join(workDir, `${spec.name}.lua`)
      const fresh = spec.unique ? { ...spec, unique: { ...spec.unique, prefix: `${spec.unique.prefix}${++runNonce}_` } } : spec
      writeFileSync(script, wrkScript(fresh))
      return run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, url], { cpu })
    }
    if (warmupS > 0) await wrkRun(warmupS)
    const out = await wrkRun(durationS)
    const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '))
    if (!line) throw new Error(`wrk printed no summary:\n${out}`)
    const r = JSON.parse(line.slice('BENCH_JSON '.length)) as WrkSummary
    return {
      tool: 'wrk',
      rps: r.requests / (r.duration_us / 1e6),
      p50_ms: r.p50 / 1000,
      p99_ms: r.p99 / 1000,
      max_ms: r.max / 1000,
      requests: r.requests,
      non2xx: r.status,
      socket_errors: r.connect + r.read + r.write + r.timeout,
    }
  }
  const specFile = join(workDir, `${spec.name}.autocannon.json`)
  writeFileSync(specFile, JSON.stringify({ ...spec, connections }))
  const child = join(ROOT, 'bench/lib/autocannon-child.mjs')
  if (warmupS > 0) await run(process.execPath, [child, specFile, String(warmupS)], { cpu })
  const r = JSON.parse(await run(process.execPath, [child, specFile, String(durationS)], { cpu })) as Omit<ClosedLoopResult, 'tool'>
  return { tool: 'autocannon', ...r }
}

/** Fixed rate (`rate`) or fixed count (`amount`), open loop, as bench/lib/loader.mjs takes them. */
export interface LoaderOptions {
  readonly name: string
  readonly connections: number
  readonly rate?: number
  readonly amount?: number
  readonly warmupMs?: number
  readonly durationMs?: number
}

/** A run of bench/lib/loader.mjs; returns its JSON summary. */
export async function loader(spec: LoadSpec, options: LoaderOptions, { workDir, cpu = LOAD_CPU }: { workDir: string; cpu?: Cpu }): Promise<LoaderResult> {
  const specFile = join(workDir, `${spec.name}.loader.json`)
  const fresh = spec.unique ? { ...spec, unique: { ...spec.unique, prefix: `${spec.unique.prefix}L${++runNonce}_` } } : spec
  writeFileSync(specFile, JSON.stringify({ ...fresh, ...options }))
  return JSON.parse(await run(process.execPath, [join(ROOT, 'bench/lib/loader.mjs'), specFile], { cpu })) as LoaderResult
}
