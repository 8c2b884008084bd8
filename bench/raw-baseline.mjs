// The yardstick: what bare node:http does on this machine with the same requests and no real work.
// POST: reads the body, checks the JSON type, parses it, checks the auth body's fields by hand,
// and answers a small JSON. GET: answers a small JSON. Every Verity figure in the benchmark is a
// ratio to this server, measured in the same round with the same load generator.
//
// Usage: node bench/raw-baseline.mjs <port>   (prints "listening <port>" when ready)
import { createServer } from 'node:http'

const PLATFORMS = new Set(['web', 'ios', 'android'])
const OK = JSON.stringify({ ok: true })
const BAD = JSON.stringify({ error: { code: 'invalid_request', message: 'bad body' } })
const HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }

function answer(res, status, body) {
  res.writeHead(status, HEADERS)
  res.end(body)
}

function validAuthBody(b) {
  return (
    b !== null &&
    typeof b === 'object' &&
    typeof b.app_id === 'string' &&
    PLATFORMS.has(b.platform) &&
    (b.user_id === undefined || typeof b.user_id === 'string') &&
    (b.user_hash === undefined || typeof b.user_hash === 'string')
  )
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.method === 'GET') return answer(res, 200, OK)
  if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) return answer(res, 415, BAD)
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    let body
    try {
      body = JSON.parse(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'))
    } catch {
      return answer(res, 400, BAD)
    }
    if (validAuthBody(body)) answer(res, 200, OK)
    else answer(res, 400, BAD)
  })
})

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`)
})
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
  server.closeAllConnections()
})
