// Closed-loop throughput runs with wrk (a Lua script rotates prepared requests) or, where wrk is
// missing, autocannon; and the fixed-rate and fixed-count runs with bench/lib/loader.mjs.
// Every load generator runs in its own process, pinned to the load core when pinning is possible.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { hasCommand, LOAD_CPU, ROOT, run } from './processes.mjs'

export const WRK = hasCommand('wrk')
let runNonce = 0

/** A Lua long string that cannot be closed by its content. */
function luaString(s) {
  let level = 1
  while (s.includes(`]${'='.repeat(level)}]`)) level++
  const eq = '='.repeat(level)
  return `[${eq}[${s}]${eq}]`
}

function luaHeaders(headers = {}) {
  return `{ ${Object.entries(headers).map(([k, v]) => `[ ${luaString(k)} ] = ${luaString(String(v))}`).join(', ')} }`
}

/** The wrk script for a scenario: prepared requests in rotation, or a counter for unique bodies. */
export function wrkScript(spec) {
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
    for (const r of spec.rotate) {
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

/**
 * One closed-loop measurement: a warm-up run (discarded) then the measured run, each from a
 * fresh load-generator process with `connections` keep-alive connections.
 * Returns { rps, p50_ms, p99_ms, requests, non2xx, socket_errors, tool }.
 */
export async function closedLoop(spec, { warmupS, durationS, connections, workDir, tool = WRK ? 'wrk' : 'autocannon', cpu = LOAD_CPU }) {
  if (tool === 'wrk') {
    const url = `http://127.0.0.1:${spec.port}${spec.path}`
    // Unique bodies get a fresh prefix per process: wrk's counter starts again at 1 each time.
    const wrkRun = (seconds) => {
      const script = join(workDir, `${spec.name}.lua`)
      const fresh = spec.unique ? { ...spec, unique: { ...spec.unique, prefix: `${spec.unique.prefix}${++runNonce}_` } } : spec
      writeFileSync(script, wrkScript(fresh))
      return run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', script, url], { cpu })
    }
    if (warmupS > 0) await wrkRun(warmupS)
    const out = await wrkRun(durationS)
    const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '))
    if (!line) throw new Error(`wrk printed no summary:\n${out}`)
    const r = JSON.parse(line.slice('BENCH_JSON '.length))
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
  const r = JSON.parse(await run(process.execPath, [child, specFile, String(durationS)], { cpu }))
  return { tool: 'autocannon', ...r }
}

/** A run of bench/lib/loader.mjs (fixed rate or fixed count); returns its JSON summary. */
export async function loader(spec, options, { workDir, cpu = LOAD_CPU }) {
  const specFile = join(workDir, `${spec.name}.loader.json`)
  const fresh = spec.unique ? { ...spec, unique: { ...spec.unique, prefix: `${spec.unique.prefix}L${++runNonce}_` } } : spec
  writeFileSync(specFile, JSON.stringify({ ...fresh, ...options }))
  return JSON.parse(await run(process.execPath, [join(ROOT, 'bench/lib/loader.mjs'), specFile], { cpu }))
}
