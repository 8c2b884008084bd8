import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { ConfigCache } from '../config-cache/config-cache.js'
import { VerityError } from '../errors/verity-error.js'
import { authenticateMessenger } from './authenticate.js'
import { authenticateAdminRequest, authorize, type AdminAuthDeps, type Principal } from './admin-principal.js'
import { ClientClosedError, readJsonBody } from './read-json-body.js'
import { checkPathParams } from './path-params.js'
import type { Reply, Route } from './route.js'
import type { Router } from './router.js'
import { validate } from './validation.js'
import { bodyControlCharacter, urlControlCharacter } from './plain-text.js'
import { isStorageUnavailable } from '../storage/storage-errors.js'
import { clientAddress, type TrustedProxies } from '../network/client-address.js'
import { isApiPath, type StaticSite } from './static-site.js'

export const MESSENGER_BODY_LIMIT = 16 * 1024
export const ADMIN_BODY_LIMIT = 64 * 1024

const BASE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
}
// The messenger runs in customers' web pages; it authenticates with a bearer token, never a
// cookie, so any origin may call the messenger routes. Answers say so, and let the page read the
// headers the messenger SDK reads (Retry-After) or quotes (X-Request-Id); only a preflight needs
// the rest, and a browser keeps that answer for Max-Age seconds.
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Retry-After, X-Request-Id',
}
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID',
  'Access-Control-Allow-Methods': 'GET, POST, PATCH, OPTIONS',
  'Access-Control-Max-Age': '600',
}

type Cors = 'none' | 'answer' | 'preflight'

const BASE_LIST = Object.entries(BASE_HEADERS).flat()
const CORS_LISTS: Readonly<Record<Cors, readonly string[]>> = {
  none: [],
  answer: Object.entries(CORS_HEADERS).flat(),
  preflight: Object.entries(PREFLIGHT_HEADERS).flat(),
}
const BASE_NAMES = [...Object.keys(BASE_HEADERS), 'X-Request-Id']
const KNOWN_NAMES: Readonly<Record<Cors, ReadonlySet<string>>> = {
  none: new Set(BASE_NAMES),
  answer: new Set([...BASE_NAMES, ...Object.keys(CORS_HEADERS)]),
  preflight: new Set([...BASE_NAMES, ...Object.keys(PREFLIGHT_HEADERS)]),
}

/**
 * The response headers as a flat [name, value, …] list, with the same names and values as
 * {...BASE_HEADERS, 'X-Request-Id', ...the CORS headers, ...extra} (Content-Type only with a body;
 * Connection: close when asked). A fresh object per response, built by spreading, was promoted to
 * the old generation under load (tens of MB a second, and major-GC pauses in the p99); a list is
 * not.
 */
function headerList(requestId: string, cors: Cors, extra: Readonly<Record<string, string>> | undefined, hasBody: boolean, close: boolean): string[] {
  // Most answers: the list is made once, and each answer copies it and fills in its request id.
  if (extra === undefined && !close && cors !== 'preflight') {
    const plain = (hasBody ? PLAIN_WITH_BODY : PLAIN_WITHOUT_BODY)[cors]
    const list = plain.list.slice()
    list[plain.idSlot] = requestId
    return list
  }
  return buildHeaderList(requestId, cors, extra, hasBody, close)
}

function buildHeaderList(requestId: string, cors: Cors, extra: Readonly<Record<string, string>> | undefined, hasBody: boolean, close: boolean): string[] {
  const list: string[] = []
  for (let i = 0; i < BASE_LIST.length; i += 2) {
    const name = BASE_LIST[i]!
    if (hasBody || name !== 'Content-Type') list.push(name, extra?.[name] ?? BASE_LIST[i + 1]!)
  }
  list.push('X-Request-Id', extra?.['X-Request-Id'] ?? requestId)
  const corsList = CORS_LISTS[cors]
  for (let i = 0; i < corsList.length; i += 2) list.push(corsList[i]!, extra?.[corsList[i]!] ?? corsList[i + 1]!)
  if (extra) {
    const known = KNOWN_NAMES[cors]
    for (const name of Object.keys(extra)) {
      if (known.has(name) || (close && name === 'Connection') || (!hasBody && name === 'Content-Type')) continue
      list.push(name, extra[name]!)
    }
  }
  if (close) list.push('Connection', 'close')
  return list
}

interface PlainList {
  readonly list: readonly string[]
  /** Where the request id goes. */
  readonly idSlot: number
}
const plainList = (cors: Cors, hasBody: boolean): PlainList => {
  const list = buildHeaderList('', cors, undefined, hasBody, false)
  return { list, idSlot: list.indexOf('X-Request-Id') + 1 }
}
const plainLists = (hasBody: boolean): Readonly<Record<Cors, PlainList>> => ({
  none: plainList('none', hasBody),
  answer: plainList('answer', hasBody),
  preflight: plainList('preflight', hasBody),
})
const PLAIN_WITH_BODY = plainLists(true)
const PLAIN_WITHOUT_BODY = plainLists(false)

export interface RequestHandlerDeps {
  readonly router: Router
  readonly cache: ConfigCache
  readonly logger: Logger
  readonly trustedProxies: TrustedProxies
  /** Admin credentials (admin key, API token, session cookie) and their guesses per client address. */
  readonly adminAuth: Omit<AdminAuthDeps, 'cache'>
  /** Prometheus counters: told of every answered request and of every storage failure. */
  readonly metrics?: { observeRequest(path: string, status: number, ms: number): void; databaseError(source: 'request'): void }
  /** Sees each route's reply before it is sent (the test suites check it against the route's response schema). */
  readonly onReply?: (route: Route, reply: Reply) => void
  /** The built dashboard, answering every path outside the API; without it those paths get JSON 404s. */
  readonly staticSite?: StaticSite | null
}

const REQUEST_ID = /^[\w-]{1,64}$/

/** The one place where a request becomes a reply: routing, authentication, body, validation, errors. */
export function createRequestHandler(deps: RequestHandlerDeps) {
  const { router, cache, logger, metrics, trustedProxies, onReply, staticSite } = deps
  const adminAuth: AdminAuthDeps = { ...deps.adminAuth, cache }
  const logRequests = logger.isLevelEnabled('info')
  const timed = logRequests || metrics !== undefined

  return async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = timed ? performance.now() : 0
    const incomingId = req.headers['x-request-id']
    const requestId = typeof incomingId === 'string' && REQUEST_ID.test(incomingId) ? incomingId : randomUUID()
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const isMessenger = path.startsWith('/v1/messenger/')
    if (staticSite && !isApiPath(path)) {
      staticSite.serve(req, res, path, requestId)
      return
    }
    let reply: Reply
    const preflight = isMessenger && req.method === 'OPTIONS'
    try {
      if (preflight) {
        reply = { status: 204 }
      } else {
        const match = router.match(req.method ?? 'GET', path)
        if (match.kind === 'not_found') throw new VerityError('not_found', 'No such endpoint. See /openapi.json.')
        if (match.kind === 'method_not_allowed') {
          throw new VerityError('method_not_allowed', undefined, { headers: { Allow: match.allowed.join(', ') } })
        }
        reply = await runRoute(match.route, match.params, req, res, url, q, requestId)
      }
    } catch (error) {
      if (error instanceof ClientClosedError) {
        // Nobody is left to answer; not an error of ours, nor of the database.
        logger.debug({ reqId: requestId, method: req.method, path }, 'client closed the request')
        res.destroy()
        return
      }
      reply = errorReply(error, logger, requestId, req.method, path, metrics)
    }
    if (reply.status === 0) return // streamed by the handler
    const hasBody = reply.body !== undefined
    // A body we refused to read must not be parsed as the next request on this connection.
    const headers = headerList(requestId, preflight ? 'preflight' : isMessenger ? 'answer' : 'none', reply.headers, hasBody, !req.complete)
    if (hasBody) {
      // With its length known, the answer goes out in one write instead of chunks.
      const json = JSON.stringify(reply.body)
      headers.push('Content-Length', String(Buffer.byteLength(json)))
      res.writeHead(reply.status, headers)
      res.end(json)
    } else {
      res.writeHead(reply.status, headers)
      res.end()
    }
    if (timed) {
      const ms = performance.now() - startedAt
      metrics?.observeRequest(path, reply.status, ms)
      if (logRequests) logger.info({ reqId: requestId, method: req.method, path, status: reply.status, ms: Math.round(ms) }, 'request')
    }
  }

  async function runRoute(
    route: Route,
    params: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
    url: string,
    q: number,
    requestId: string,
  ): Promise<Reply> {
    const client = clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], trustedProxies)
    let principal: Principal | null = null
    let session = null
    if (route.audience === 'admin') {
      principal = await authenticateAdminRequest(req, client, adminAuth)
      authorize(principal, route.action!, route.sessionOnly === true, cache.security.requireTotp)
    } else if (route.audience === 'messenger') session = authenticateMessenger(req, cache)
    const actor = { name: principal?.name ?? '', client }

    const limit = route.bodyLimit ?? (route.audience === 'messenger' ? MESSENGER_BODY_LIMIT : ADMIN_BODY_LIMIT)
    const raw = req.method === 'GET' ? undefined : await readJsonBody(req, limit)
    const search = q === -1 ? null : new URLSearchParams(url.slice(q + 1))
    // Before any schema or storage sees them (plain-text.ts says why).
    const misplaced = urlControlCharacter(Object.entries(params)) ?? (search && urlControlCharacter(search)) ?? (raw === undefined ? null : bodyControlCharacter(raw))
    if (misplaced !== null) throw new VerityError('invalid_request', `${misplaced[0]!.toUpperCase()}${misplaced.slice(1)} must not contain control characters.`)
    checkPathParams(params)
    let body: unknown
    if (route.body) body = validate(route.body, raw === undefined ? {} : raw, 'body')
    // `{}` says "nothing" as well as no body does (clients that always send JSON send it).
    else if (raw !== undefined && !isEmptyObject(raw)) throw new VerityError('invalid_request', 'This endpoint takes no body.')
    let query: unknown
    if (route.query) query = validate(route.query, search === null ? {} : Object.fromEntries(search), 'query')
    const ctx = { req, params, body, query, requestId, actor, principal, session, client }
    if (!onReply) return route.handle(ctx, res)
    const reply = await route.handle(ctx, res)
    onReply(route, reply)
    return reply
  }
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0
}

function errorReply(error: unknown, logger: Logger, requestId: string, method: string | undefined, path: string, metrics: RequestHandlerDeps['metrics']): Reply {
  if (isStorageUnavailable(error)) {
    metrics?.databaseError('request')
    // Logged once below, with the database's error as the cause.
    error = new VerityError('unavailable', 'The database cannot be reached. Retry shortly.', { headers: { 'Retry-After': '5' }, cause: error })
  }
  if (error instanceof VerityError) {
    if (error.status >= 500) logger.error({ reqId: requestId, method, path, code: error.code, err: error.cause }, error.message)
    return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } } }
  }
  logger.error({ reqId: requestId, method, path, err: error }, 'unhandled error')
  return {
    status: 500,
    body: { error: { code: 'internal_error', message: `Something went wrong on our side. Quote request id ${requestId} when reporting it.` } },
  }
}
