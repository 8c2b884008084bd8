// A small HTTP/1.1 load generator on raw sockets, for what wrk and autocannon do not do here:
//
//  * fixed rate (open loop, like wrk2): each connection has its own schedule, and latency is
//    measured from the moment a request was due, not from when it could be sent, so a server
//    stall shows up in the percentiles instead of silently slowing the load (coordinated omission);
//  * a fixed number of requests (closed loop), for the memory run;
//  * microsecond latency (autocannon 9 records whole milliseconds).
//
// Usage: node bench/lib/loader.mjs <spec.json>   (prints one JSON line on stdout)
// spec: { port, connections, rate (req/s; 0 = closed loop), warmupMs, durationMs, amount,
//         method, path, rotate: [{ headers?, body? }], unique?: { prefix, suffix } }
import net from 'node:net'
import { readFileSync } from 'node:fs'

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const connections = spec.connections ?? 10
const rate = spec.rate ?? 0
const amount = spec.amount ?? Infinity
const warmupMs = spec.warmupMs ?? 0
const durationMs = spec.durationMs ?? Infinity

const host = `127.0.0.1:${spec.port}`
function rawRequest(headers = {}, body) {
  let head = `${spec.method} ${spec.path} HTTP/1.1\r\nHost: ${host}\r\n`
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`
  if (body !== undefined) head += `Content-Length: ${Buffer.byteLength(body)}\r\n`
  return Buffer.from(`${head}\r\n${body ?? ''}`)
}
const rotated = (spec.rotate ?? [{}]).map((r) => rawRequest(r.headers, r.body))
const uniqueHeaders = spec.unique?.headers ?? {}
let counter = 0
function nextRequest() {
  if (spec.unique) return rawRequest(uniqueHeaders, `${spec.unique.prefix}${++counter}${spec.unique.suffix}`)
  return rotated[counter++ % rotated.length]
}

// Latencies in microseconds, for requests due after the warm-up.
let latencies = new Float64Array(1 << 16)
let recorded = 0
function record(us) {
  if (recorded === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2)
    bigger.set(latencies)
    latencies = bigger
  }
  latencies[recorded++] = us
}

const statuses = {}
let sent = 0
let completed = 0
let errors = 0
// Set when every connection is open.
let measureFrom = Infinity
let endAt = Infinity
const interval = rate > 0 ? (connections * 1000) / rate : 0 // ms between requests on one connection
let stopping = false
let draining = false
let completedInWindow = 0

const CRLF2 = Buffer.from('\r\n\r\n')
const CHUNK_END = Buffer.from('0\r\n\r\n')

function connect(index) {
  const c = { socket: null, busy: false, due: 0, next: 0, index, buf: null, expect: -1 }
  c.socket = net.connect({ host: '127.0.0.1', port: spec.port, noDelay: true })
  c.socket.on('error', () => {
    errors++
    c.busy = true // never reuse a broken connection
  })
  c.socket.on('data', (chunk) => onData(c, chunk))
  return c
}

function send(c, due) {
  if (sent >= amount) return
  c.busy = true
  c.due = due
  sent++
  c.socket.write(nextRequest())
}

function onData(c, chunk) {
  c.buf = c.buf === null ? chunk : Buffer.concat([c.buf, chunk])
  for (;;) {
    const buf = c.buf
    if (buf === null) return
    const headerEnd = buf.indexOf(CRLF2)
    if (headerEnd < 0) return
    if (c.expect < 0) {
      const head = buf.toString('latin1', 0, headerEnd)
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      if (length) c.expect = headerEnd + 4 + Number(length[1])
      else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const end = buf.indexOf(CHUNK_END, headerEnd + 4)
        if (end < 0) return
        c.expect = end + CHUNK_END.length
      } else c.expect = headerEnd + 4
      c.status = head.slice(9, 12)
    }
    if (buf.length < c.expect) return
    c.buf = buf.length > c.expect ? buf.subarray(c.expect) : null
    c.expect = -1
    complete(c)
  }
}

function complete(c) {
  const now = performance.now()
  completed++
  statuses[c.status] = (statuses[c.status] ?? 0) + 1
  if (c.due >= measureFrom && c.due < endAt) record((now - c.due) * 1000)
  if (now >= measureFrom && now < endAt) completedInWindow++
  c.busy = false
  if (stopping) return
  if (draining) {
    if (conns.every((x) => !x.busy)) finish()
    return
  }
  if (rate === 0) {
    if (completed >= amount || now >= endAt) return finish()
    send(c, now)
  } else if (now >= c.next) {
    send(c, c.next)
    c.next += interval
  }
}

const conns = []
for (let i = 0; i < connections; i++) conns.push(connect(i))
let pending = connections
for (const c of conns) {
  c.socket.once('connect', () => {
    if (--pending === 0) start()
  })
}

function start() {
  const t0 = performance.now()
  measureFrom = t0 + warmupMs
  endAt = t0 + warmupMs + durationMs
  for (const c of conns) c.next = t0 + (c.index * interval) / connections
  if (rate === 0) {
    for (const c of conns) send(c, performance.now())
    if (durationMs !== Infinity) setTimeout(finish, warmupMs + durationMs).unref()
    return
  }
  // Open loop: a busy loop on our own core; every connection sends whatever is due. At the end,
  // requests still in flight get up to a second to answer, so the slowest are not left out.
  const tick = () => {
    if (stopping) return
    const now = performance.now()
    if (now >= endAt) {
      draining = true
      if (conns.every((x) => !x.busy)) return finish()
      setTimeout(finish, 1000).unref()
      return
    }
    for (const c of conns) {
      if (!c.busy && now >= c.next) {
        send(c, c.next)
        c.next += interval
      }
    }
    setImmediate(tick)
  }
  tick()
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function finish() {
  if (stopping) return
  stopping = true
  const now = performance.now()
  // Requests still unanswered count with the time they have waited so far (a lower bound).
  for (const c of conns) if (c.busy && c.due >= measureFrom && c.due < endAt) record((now - c.due) * 1000)
  const sorted = latencies.subarray(0, recorded).sort()
  const measuredMs = Math.min(durationMs, now - measureFrom)
  const out = {
    sent,
    completed,
    errors,
    statuses,
    recorded,
    rate_target: rate,
    rate_achieved: measuredMs > 0 ? (completedInWindow * 1000) / measuredMs : null,
    latency_us: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      p999: percentile(sorted, 99.9),
      max: sorted.length ? sorted[sorted.length - 1] : null,
    },
  }
  process.stdout.write(`${JSON.stringify(out)}\n`)
  for (const c of conns) c.socket.destroy()
  process.exitCode = 0
}
