import { randomInt } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CATALOGUE, isErrorCode } from '../src/errors/error-catalogue.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { anonymousSession, verifiedSession } from './support/messenger-sessions.js'
import { TEST_ADMIN_KEY, type TestServer } from './support/test-server.js'
import { errorLines } from './support/log-lines.js'

/**
 * Property-based fuzz of every route the OpenAPI document lists: arbitrary and hostile path
 * parameters, queries, headers and bodies, without and with valid credentials. Never a 5xx, never
 * a hang, only codes of the catalogue, and no error logged.
 *
 * Replay a failure with VERITY_FUZZ_SEED=<seed> (printed on failure); VERITY_FUZZ_RUNS changes the
 * runs per route (default 60); VERITY_FUZZ_VERBOSE=1 prints the answers each route gave, by status.
 */
const SEED = process.env.VERITY_FUZZ_SEED ? Number(process.env.VERITY_FUZZ_SEED) : randomInt(2 ** 31)
const RUNS_PER_ROUTE = process.env.VERITY_FUZZ_RUNS ? Number(process.env.VERITY_FUZZ_RUNS) : 60
const REPLY_TIMEOUT_MS = 5_000

interface Operation {
  readonly method: string
  readonly path: string
  readonly pathParams: readonly string[]
  readonly queryParams: readonly string[]
  readonly bodyFields: readonly string[]
  /** The request body's JSON Schema ($refs resolved at the top), or undefined. */
  readonly bodySchema: JsonSchema | undefined
  readonly audience: 'admin' | 'messenger' | 'public'
}

interface JsonSchema {
  readonly $ref?: string
  readonly type?: string | string[]
  readonly enum?: unknown[]
  readonly anyOf?: JsonSchema[]
  readonly properties?: Record<string, JsonSchema>
  readonly required?: string[]
  readonly additionalProperties?: JsonSchema | boolean
  readonly items?: JsonSchema
}

interface Credentials {
  readonly admin: string
  readonly verified: string
  readonly anonymous: string
  /** Real ids, so that the fuzz reaches objects that exist. */
  readonly ids: Record<string, readonly string[]>
  /** Values that pass validation for a body field of this name (an app id, a user id and its hash). */
  readonly fields: Record<string, readonly string[]>
}

interface FuzzRequest {
  readonly method: string
  readonly path: string
  readonly headers: Record<string, string>
  readonly body: string | undefined
}

// ---- Arbitraries --------------------------------------------------------------------------------

const HOSTILE_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\u0007', '\u001b[31mred', '\t\n\r', '\u007f', '\u0085', '\u2028', '\ufeff', '\ud800', '\udfff', '😀',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '../../etc/passwd', "' OR 1=1 --", '"; DROP TABLE apps; --',
  '%00', '%', '${7*7}', '<script>', 'null', 'true', '-1', '0', '1e309', 'NaN', 'Infinity', '9'.repeat(400),
]
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf']

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(65, 256, 10_001, 20_000, 70_000).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u009f'), fc.string({ maxLength: 10 })).map(([c, s]) => s + c + s) },
)

/** Nested arrays and objects, deeper than any schema expects. */
const deepNesting: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 1, max: 5_000 }), fc.boolean(), fc.constantFrom('[', '{"a":'))
  .map(([depth, closed, open]) => open.repeat(depth) + (closed ? '1' + (open === '[' ? ']' : '}').repeat(depth) : ''))

const anyJsonValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53 + 1, 1e308, [], {}, [null], { __proto__: null }),
)

/**
 * Bodies shaped like the route's schema, so that the fuzz reaches the handler: each field of the
 * right type most of the time (hostile content, real ids), a wrong type or a missing field sometimes.
 */
function fromSchema(schema: JsonSchema, creds: Credentials, name: string, depth: number): fc.Arbitrary<unknown> {
  const wrong = { weight: 1, arbitrary: anyJsonValue }
  if (schema.enum) return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...schema.enum) }, wrong)
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fromSchema(s, creds, name, depth)))
  const types = Array.isArray(schema.type) ? schema.type : [schema.type]
  const known = creds.fields[name] ?? []
  const one = (type: string | undefined): fc.Arbitrary<unknown> => {
    switch (type) {
      case 'string':
        return fc.oneof(
          { weight: known.length > 0 ? 10 : 0, arbitrary: fc.constantFrom(...known, '') },
          { weight: 3, arbitrary: hostileString },
          { weight: 3, arbitrary: fc.string({ maxLength: 60 }) },
          wrong,
        )
      case 'boolean':
        return fc.oneof({ weight: 4, arbitrary: fc.boolean() }, wrong)
      case 'number':
      case 'integer':
        return fc.oneof({ weight: 4, arbitrary: fc.oneof(fc.integer(), fc.double()) }, wrong)
      case 'null':
        return fc.constant(null)
      case 'array':
        return depth > 3 ? anyJsonValue : fc.array(fromSchema(schema.items ?? {}, creds, name, depth + 1), { maxLength: 5 })
      case 'object': {
        if (depth > 3) return anyJsonValue
        const props = Object.entries(schema.properties ?? {})
        const shape = Object.fromEntries(props.map(([k, v]) => [k, fromSchema(v, creds, k, depth + 1)]))
        const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined
        const required = schema.required ?? []
        return fc.oneof(
          { weight: 4, arbitrary: fc.record(Object.fromEntries(Object.entries(shape).filter(([k]) => required.includes(k))), { requiredKeys: required }) },
          { weight: 4, arbitrary: fc.record(shape, { requiredKeys: required }) },
          { weight: 2, arbitrary: fc.record(shape, { requiredKeys: [] }) },
          ...(extra ? [{ weight: 3, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom(...PROTO_KEYS)), fromSchema(extra, creds, name, depth + 1), { maxKeys: 60 }) }] : []),
          wrong,
        )
      }
      default:
        return anyJsonValue
    }
  }
  return fc.oneof(...types.map(one))
}

function bodyFor(op: Operation, creds: Credentials): fc.Arbitrary<string | undefined> {
  const fieldNames = [...op.bodyFields, ...PROTO_KEYS, 'userId', 'extra']
  const realValue = fc.constantFrom(...Object.values(creds.ids).flat(), 'web', 'ios', 'android', 'production', 'test')
  const fieldValue = fc.oneof({ weight: 3, arbitrary: anyJsonValue }, { weight: 2, arbitrary: realValue })
  const objectText = fc
    .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fieldNames) }, { weight: 1, arbitrary: hostileString }), fieldValue), { maxLength: 8 })
    // Written by hand: JSON.stringify would drop or rename a __proto__ key, and hostile keys must reach the server.
    .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`)
  const shaped = op.bodySchema ? fromSchema(op.bodySchema, creds, '', 0).map((v) => JSON.stringify(v) ?? 'null') : objectText
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: shaped },
    { weight: 3, arbitrary: objectText },
    { weight: 2, arbitrary: anyJsonValue.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: deepNesting },
    { weight: 1, arbitrary: fc.constantFrom('{', '{"a":1,}', "{'a':1}", '\u0000', '{"a":"\\u0000"}', '{"a":"\\ud800"}', '[]', '""', 'null', '\ufeff{}', '{"__proto__":{"admin":true}}') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  )
}

/** A path segment: mostly an encoded string (often a real id), sometimes raw percent junk. */
function pathSegment(name: string, creds: Credentials): fc.Arbitrary<string> {
  const real = creds.ids[name] ?? []
  return fc.oneof(
    { weight: real.length > 0 ? 3 : 0, arbitrary: real.length > 0 ? fc.constantFrom(...real) : fc.constant('x') },
    { weight: 3, arbitrary: hostileString.map((s) => encodeURIComponent(s.isWellFormed() ? s : s.toWellFormed())) },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%zz', '%', '%C0%80', '%ED%A0%80', '%FF', '%2F', '%20', 'a%00b', '%0A', '%7F', '%C2%85') },
  )
}

function queryFor(op: Operation): fc.Arbitrary<string> {
  const names = [...op.queryParams, ...PROTO_KEYS, 'limit', 'cursor', 'x']
  const value = fc.oneof(
    { weight: 3, arbitrary: hostileString.map((s) => encodeURIComponent(s.isWellFormed() ? s : s.toWellFormed())) },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%zz', '%', '1', '100', '1000', '-5', '1.5', '1e3', '', '%0A', 'true', 'false') },
  )
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 3, arbitrary: fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 5 }).map((pairs) => (pairs.length === 0 ? '' : '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&'))) },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?%', '?a=%00', '?limit', '?limit=1&limit=2') },
  )
}

const headerValue = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 })

function headersFor(op: Operation, creds: Credentials, hasBody: boolean): fc.Arbitrary<Record<string, string>> {
  const own = op.audience === 'admin' ? creds.admin : op.audience === 'messenger' ? creds.verified : undefined
  const authorization = fc.oneof(
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: own === undefined ? 0 : 6, arbitrary: fc.constant(`Bearer ${own ?? ''}`) },
    { weight: 2, arbitrary: fc.constantFrom(creds.admin, creds.verified, creds.anonymous).map((t) => `Bearer ${t}`) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        headerValue,
        headerValue.map((v) => `Bearer ${v}`),
        fc.constantFrom('Bearer', 'Bearer ', 'Basic dmVyaXR5OnZlcml0eQ==', `bearer ${creds.verified}`, `Bearer ${creds.verified}x`, `Bearer ${creds.verified.slice(0, -4)}`, `Bearer ${TEST_ADMIN_KEY}x`, `Bearer  ${TEST_ADMIN_KEY}`, 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.e30.'),
      ),
    },
  )
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'application/json; charset=utf-8', 'application/json;charset=utf-16', 'application/problem+json', 'APPLICATION/JSON',
        'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', '', '*/*',
      ),
    },
  )
  return fc
    .record(
      {
        authorization,
        'content-type': contentType,
        cookie: fc.oneof(headerValue, fc.constantFrom('session=1; __proto__=1', `verity=${creds.verified}`)),
        'last-event-id': fc.oneof(headerValue, fc.constantFrom(...(creds.ids.message_id ?? ['x']))),
        'x-forwarded-for': fc.oneof(headerValue, fc.constantFrom('1.2.3.4', '::1, 10.0.0.1', 'unknown, , ,')),
        'x-request-id': headerValue,
        accept: fc.constantFrom('application/json', 'text/event-stream', '*/*'),
      },
      // The other headers come and go; authorization is always drawn (it may draw "none").
      { requiredKeys: hasBody ? ['authorization', 'content-type'] : ['authorization'] },
    )
    .map((h) => Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined)))
}

function requestFor(op: Operation, creds: Credentials): fc.Arbitrary<FuzzRequest> {
  const segments = op.path.split('/').map((s) => (s.startsWith('{') ? pathSegment(s.slice(1, -1), creds) : fc.constant(s)))
  const method = fc.oneof({ weight: 9, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS') })
  return fc
    .tuple(method, fc.tuple(...segments), queryFor(op), bodyFor(op, creds))
    .chain(([m, parts, query, body]) => {
      const sendsBody = m !== 'GET' && body !== undefined
      return headersFor(op, creds, sendsBody).map((headers) => ({ method: m, path: parts.join('/') + query, headers, body: sendsBody ? body : undefined }))
    })
}

// ---- The check ----------------------------------------------------------------------------------

function describeRequest(r: FuzzRequest): string {
  const body = r.body === undefined ? '' : ` body(${r.body.length}): ${JSON.stringify(r.body.slice(0, 300))}`
  return `${r.method} ${r.path.slice(0, 300)} headers: ${JSON.stringify(r.headers)}${body}`
}

/** Answers the route gave, by status: evidence that the fuzz reached past authentication. */
async function send(server: TestServer, r: FuzzRequest): Promise<number> {
  const signal = AbortSignal.timeout(REPLY_TIMEOUT_MS)
  let res: Response
  let text: string
  try {
    res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, body: r.body, signal })
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      // A live stream never ends by itself: it answered, that is all we ask of it.
      await res.body?.cancel()
      text = ''
    } else {
      text = await res.text()
    }
  } catch (error) {
    if (signal.aborted) throw new Error(`no reply within ${REPLY_TIMEOUT_MS} ms: ${describeRequest(r)}`)
    throw new Error(`request failed (${(error as Error).message}; ${String((error as Error).cause)}): ${describeRequest(r)}`)
  }
  if (res.status >= 500) throw new Error(`${res.status} ${text.slice(0, 300)} for ${describeRequest(r)}`)
  if (res.status < 400) return res.status
  let code: unknown
  try {
    code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code
  } catch {
    throw new Error(`${res.status} without a JSON error body (${JSON.stringify(text.slice(0, 200))}) for ${describeRequest(r)}`)
  }
  if (typeof code !== 'string' || !isErrorCode(code)) throw new Error(`${res.status} with a code not in the catalogue (${String(code)}) for ${describeRequest(r)}`)
  if (ERROR_CATALOGUE[code].status !== res.status) throw new Error(`${res.status} with ${code}, which the catalogue answers with ${ERROR_CATALOGUE[code].status}, for ${describeRequest(r)}`)
  return res.status
}

// ---- Set-up -------------------------------------------------------------------------------------


function operations(doc: any): Operation[] {
  const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined =>
    schema?.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema
  const ops: Operation[] = []
  for (const [path, byMethod] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const params = (op.parameters ?? []) as { name: string; in: string }[]
      const bodySchema = resolve(op.requestBody?.content?.['application/json']?.schema)
      const security = JSON.stringify(op.security ?? [])
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyFields: Object.keys(bodySchema?.properties ?? {}),
        bodySchema,
        audience: security.includes('adminKey') ? 'admin' : security.includes('accessToken') ? 'messenger' : 'public',
      })
    }
  }
  return ops
}

for (const backend of BACKENDS) {
  describe(`fuzz every route (${backend}; seed ${SEED})`, () => {
    let server: TestServer
    let creds: Credentials
    let ops: Operation[]
    const logLines: string[] = []

    beforeAll(async () => {
      // Generous limits, so that the fuzz reaches past them into every handler (429 stays allowed).
      server = await startBackendServer(
        backend,
        { VERITY_CLIENT_SESSION_RATE: '1000000', VERITY_SESSION_WRITE_RATE: '1000000', VERITY_ADMIN_GUESS_RATE: '1000000', VERITY_STREAMS_PER_SESSION: '10000' },
        { logLines },
      )
      // The messenger's app; admin routes get another one, so that enforcing or revoking there never
      // takes the messenger credentials away mid-run.
      const messengerApp = await server.createApp('Fuzzed messenger')
      const adminApp = await server.createApp('Fuzzed admin')
      const verified = await verifiedSession(server, messengerApp.appId, messengerApp.secrets.web, { userId: 'fuzz-user' })
      const anonymous = await anonymousSession(server, messengerApp.appId)
      const started = await server.request('POST', '/v1/messenger/conversations', { token: verified.token, body: { body: 'hello' } })
      expect(started.status).toBe(201)
      const conversation = started.body.conversation
      const doc = await server.request('GET', '/openapi.json')
      expect(doc.status).toBe(200)
      ops = operations(doc.body)
      creds = {
        admin: TEST_ADMIN_KEY,
        verified: verified.token,
        anonymous: anonymous.token,
        ids: {
          app_id: [adminApp.appId, messengerApp.appId],
          platform: ['web', 'ios', 'android'],
          secret_id: [adminApp.secretIds.web, adminApp.secretIds.ios, adminApp.secretIds.android],
          conversation_id: [conversation.id],
          message_id: conversation.messages?.map((m: { id: string }) => m.id) ?? [],
        },
        fields: {
          app_id: [messengerApp.appId],
          user_id: ['fuzz-user', 'fuzz-other'],
          email: ['fuzz@example.com'],
          user_hash: [hmacHex(messengerApp.secrets.web, 'fuzz-user')],
          device_id: [anonymous.user.device_id ?? 'device'],
          name: ['Fuzz'],
          body: ['hello', 'line\n\ttab'],
        },
      }
    })
    afterAll(async () => {
      await server?.close()
    })

    it('lists the routes to fuzz from /openapi.json', () => {
      expect(ops.length).toBeGreaterThanOrEqual(20)
      expect(ops.map((o) => `${o.method} ${o.path}`)).toContain('POST /v1/messenger/auth')
    })

    it(`answers every route's hostile requests without a 5xx, a hang or an unknown code (${RUNS_PER_ROUTE} runs per route)`, { timeout: 240_000 }, async () => {
      const startedAt = performance.now()
      let runs = 0
      const answered = new Map<string, Map<number, number>>()
      for (const [i, op] of ops.entries()) {
        const statuses = new Map<number, number>()
        answered.set(`${op.method} ${op.path}`, statuses)
        // The admin app must not be the messenger's app: path ids for admin routes avoid it.
        const opCreds = op.audience === 'admin' ? { ...creds, ids: { ...creds.ids, app_id: creds.ids.app_id!.slice(0, 1) } } : creds
        const seed = SEED + i
        const result = await fc.check(
          fc.asyncProperty(requestFor(op, opCreds), async (r) => {
            runs++
            const status = await send(server, r)
            if (r.method === op.method) statuses.set(status, (statuses.get(status) ?? 0) + 1)
          }),
          { seed, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
        )
        // Our own message names the request briefly; fast-check's would print a 70 KB counterexample.
        if (result.failed) throw new Error(`${op.method} ${op.path}: replay with VERITY_FUZZ_SEED=${SEED} (this route's seed ${seed})\n${(result.errorInstance as Error | null)?.message ?? 'interrupted'}`)
      }
      // Statistics gathered during the fuzz must reach storage, or be dropped with a log line: never a retry loop.
      await server.running.events.flush()
      const errors = errorLines(logLines)
      expect(errors).toEqual([])
      // The credentials worked: every route answered something other than "who are you?".
      for (const [route, statuses] of answered) expect([route, [...statuses.keys()].some((s) => s !== 401)]).toEqual([route, true])
      const health = await server.request('GET', '/healthz')
      expect(health.status).toBe(200)
      const summary = [...answered].map(([route, st]) => `  ${route}: ${[...st].sort((a, b) => a[0] - b[0]).map(([k, n]) => `${k}×${n}`).join(' ')}`)
      const detail = process.env.VERITY_FUZZ_VERBOSE ? `\n${summary.join('\n')}` : ' (VERITY_FUZZ_VERBOSE=1 lists the answers per route)'
      console.info(`fuzz ${backend}: ${runs} requests over ${ops.length} routes in ${Math.round(performance.now() - startedAt)} ms (seed ${SEED})${detail}`)
    })
  })
}
