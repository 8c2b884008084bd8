// The autocannon fallback for machines without wrk, run in its own process.
// Usage: node bench/lib/autocannon-child.mjs <spec.json> <seconds>   (prints one JSON line)
// Note: autocannon 9 records latency in whole milliseconds; prefer wrk for p50/p99.
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const duration = Number(process.argv[3])
const requests = spec.unique
  ? [{ method: spec.method, path: spec.path, headers: spec.unique.headers, body: `${spec.unique.prefix}[<id>]${spec.unique.suffix}` }]
  : spec.rotate.map((r) => ({ method: spec.method, path: spec.path, headers: r.headers ?? {}, ...(r.body !== undefined && { body: r.body }) }))

const result = await autocannon({
  url: `http://127.0.0.1:${spec.port}`,
  connections: spec.connections ?? 10,
  duration,
  requests,
  idReplacement: Boolean(spec.unique),
})
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.total / (result.duration || duration),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    socket_errors: result.errors + result.timeouts,
  })}\n`,
)
