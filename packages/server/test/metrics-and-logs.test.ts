// GET /metrics (Prometheus text format) and the structured request logs, on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapeLabelValue, Histogram, ExpositionWriter } from '../src/http/metrics/exposition.js'
import { hmacHex } from './support/hmac.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'

const METRICS_TOKEN = 'metrics-token-0123456789'
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/

function parse(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  const typed = new Set<string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line)
    if (type) {
      expect(typed.has(type[1]!), `TYPE ${type[1]} twice`).toBe(false)
      typed.add(type[1]!)
      continue
    }
    if (line.startsWith('# HELP ')) continue
    const m = SAMPLE_LINE.exec(line)
    expect(m, `not a valid sample line: ${line}`).not.toBeNull()
    const family = m![1]!.replace(/_(bucket|sum|count)$/, '')
    expect(typed.has(m![1]!) || typed.has(family), `sample before its TYPE: ${line}`).toBe(true)
    samples.set(`${m![1]}${m![2] ?? ''}`, Number(m![4] === '+Inf' ? Infinity : m![4]))
  }
  return samples
}

describe.each(BACKENDS)('GET /metrics (%s)', (backend) => {
  let server: TestServer
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    return parse(await res.text())
  }
  const auth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', ...body } })

  beforeAll(async () => {
    server = await startBackendServer(backend, { VERITY_METRICS_TOKEN: METRICS_TOKEN, VERITY_FAILURE_LIMIT: '2' })
    app = await server.createApp('metrics')
  })
  afterAll(() => server.close())

  it('needs the metrics token when one is set', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401)
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401)
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` } })).status).toBe(401)
  })

  it('counts auth outcomes by app, platform and result, and times them', async () => {
    const before = await scrape()
    const countBefore = before.get('verity_auth_request_duration_seconds_count') ?? 0
    await auth({ user_id: 'v', user_hash: hmacHex(app.secrets.web, 'v') }) // verified
    await auth({ user_id: 'v', user_hash: hmacHex(app.secrets.web, 'v') }) // verified
    await auth({ user_id: 'u' }) // unverified
    await auth({}) // anonymous
    await auth({ platform: 'ios', user_id: 'x', user_hash: '00'.repeat(32) }) // unverified (invalid proof, not enforced)
    await server.admin('PATCH', `/admin/v1/apps/${app.appId}/platforms/android`, { enforced: true })
    await auth({ platform: 'android', user_id: 'm' }) // user_hash_missing
    await auth({ platform: 'android', user_id: 'm', user_hash: '00'.repeat(32) }) // user_hash_invalid
    await auth({ platform: 'android', user_id: 'm', user_hash: '00'.repeat(32) }) // rate_limited (limit 2)
    await auth({ user_hash: 'aa', identity_token: 'x.y.z' }) // invalid_request found by the handler
    await server.request('POST', '/v1/messenger/auth', { body: { app_id: 'app_nobody', platform: 'web' } }) // app_not_found

    const m = await scrape()
    const n = (result: string, platform = 'web', appId = app.appId) => m.get(`verity_auth_requests_total{app_id="${appId}",platform="${platform}",result="${result}"}`)
    expect(n('verified')).toBe(2)
    expect(n('unverified')).toBe(1)
    expect(n('anonymous')).toBe(1)
    expect(n('unverified', 'ios')).toBe(1)
    expect(n('user_hash_missing', 'android')).toBe(1)
    expect(n('user_hash_invalid', 'android')).toBe(1)
    expect(n('rate_limited', 'android')).toBe(1)
    expect(n('invalid_request')).toBe(1)
    // An app id this server does not know never becomes a label value of its own.
    expect(n('app_not_found', 'web', 'unknown')).toBe(1)
    expect([...m.keys()].some((k) => k.includes('app_nobody'))).toBe(false)

    expect(m.get('verity_auth_request_duration_seconds_count')! - countBefore).toBe(10)
    const buckets = [...m].filter(([k]) => k.startsWith('verity_auth_request_duration_seconds_bucket'))
    const values = buckets.map(([, v]) => v)
    expect(values).toEqual([...values].sort((x, y) => x - y)) // cumulative
    expect(m.get('verity_auth_request_duration_seconds_bucket{le="+Inf"}')).toBe(m.get('verity_auth_request_duration_seconds_count'))
    expect(m.get('verity_http_responses_total{code="200"}')).toBeGreaterThanOrEqual(5)
  })

  it('reports configuration age, readiness, database errors and buffered statistics', async () => {
    const m = await scrape()
    expect(m.get('verity_ready')).toBe(1)
    expect(m.get('verity_config_age_seconds')).toBeGreaterThanOrEqual(0)
    expect(m.get('verity_config_max_age_seconds')).toBe(30)
    expect(m.get('verity_config_age_seconds')).toBeLessThanOrEqual(m.get('verity_config_max_age_seconds')!)
    expect(m.get('verity_config_revision')).toBe(server.running.cache.revision)
    for (const source of ['request', 'config_refresh', 'statistics_flush', 'listener']) expect(m.get(`verity_database_errors_total{source="${source}"}`)).toBe(0)
    expect(m.has('verity_auth_statistics_buffered')).toBe(true)
    expect(m.get('verity_auth_statistics_dropped_total')).toBe(0)
    if (backend === 'sqlite') {
      // No listener and no pool: one process on one file.
      expect(m.has('verity_config_listener_connected')).toBe(false)
      expect(m.has('verity_db_pool_connections{state="total"}')).toBe(false)
      // SQLite answers on the event loop: how long it held it is measured.
      expect(m.get('verity_storage_call_max_seconds')).toBeGreaterThanOrEqual(0)
    } else {
      expect(m.has('verity_storage_call_max_seconds')).toBe(false)
      expect(m.get('verity_config_listener_connected')).toBe(1)
      expect(m.get('verity_db_pool_connections{state="total"}')).toBeGreaterThan(0)
      expect(m.get('verity_db_pool_connections{state="waiting"}')).toBe(0)
    }
    expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0)
  })

  it('writes label values and histograms in the exposition format', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd')
    const h = new Histogram([0.1, 1])
    for (const v of [0.05, 0.1, 0.5, 2]) h.observe(v)
    const out = new ExpositionWriter().family('x', 'histogram', 'test')
    h.write(out, 'x', { k: 'v' })
    expect(out.toString()).toBe(
      '# HELP x test\n# TYPE x histogram\n' +
        'x_bucket{k="v",le="0.1"} 2\nx_bucket{k="v",le="1"} 3\nx_bucket{k="v",le="+Inf"} 4\nx_sum{k="v"} 2.65\nx_count{k="v"} 4\n',
    )
  })
})

describe.each(BACKENDS)('structured JSON logs (%s)', (backend) => {
  it('log every request with its request id, taken from X-Request-Id when valid', async () => {
    const logLines: string[] = []
    const server = await startBackendServer(backend, {}, { logLines })
    try {
      await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-req-42' } })
      await fetch(`${server.url}/readyz`, { headers: { 'x-request-id': 'not valid!' } })
      const requests = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'request')
      expect(requests[0]).toMatchObject({ level: 'info', service: 'verity', reqId: 'lb-req-42', method: 'GET', path: '/healthz', status: 200 })
      expect(requests[1]!.reqId).toMatch(/^[0-9a-f-]{36}$/)
      expect(typeof requests[0]!.time).toBe('string')
    } finally {
      await server.close()
    }
  })
})
