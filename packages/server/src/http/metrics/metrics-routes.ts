import { timingSafeEqual, createHash } from 'node:crypto'
import { VerityError } from '../../errors/verity-error.js'
import type { AuthRequest } from '../../services/messenger-auth.js'
import { bearerChallenge } from '../../tokens/access-token-keyring.js'
import { defineRoute, STREAMED, type Reply, type Route } from '../route.js'
import { EXPOSITION_CONTENT_TYPE } from './exposition.js'
import type { AuthResult, VerityMetrics } from './verity-metrics.js'

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest()

/**
 * GET /metrics in the Prometheus text format. Open unless VERITY_METRICS_TOKEN is set, then it
 * needs `Authorization: Bearer <token>` (Prometheus: `authorization: {credentials: …}`).
 */
export function metricsRoutes(metrics: VerityMetrics, token: string | null): Route[] {
  const expected = token === null ? null : digest(`Bearer ${token}`)
  return [
    defineRoute({
      method: 'GET',
      path: '/metrics',
      audience: 'public',
      tag: 'operations',
      summary: 'Prometheus metrics (text exposition format)',
      description: 'Auth outcomes by app, platform and result; auth latency; configuration age; database errors; buffered statistics. Needs a bearer token when VERITY_METRICS_TOKEN is set.',
      responses: { 200: { description: 'text/plain; version=0.0.4' } },
      errors: ['unauthorized'],
      handle: ({ req }, res) => {
        if (expected) {
          const given = req.headers.authorization
          if (given === undefined || !timingSafeEqual(digest(given), expected)) {
            throw new VerityError('unauthorized', 'GET /metrics needs Authorization: Bearer <VERITY_METRICS_TOKEN>.', { headers: bearerChallenge() })
          }
        }
        const body = metrics.render()
        res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) })
        res.end(body)
        return STREAMED
      },
    }),
  ]
}

const ERROR_RESULTS: Readonly<Record<string, AuthResult>> = {
  user_hash_missing: 'user_hash_missing',
  user_hash_invalid: 'user_hash_invalid',
  rate_limited: 'rate_limited',
  app_not_found: 'app_not_found',
  invalid_request: 'invalid_request',
  unavailable: 'unavailable',
}

/** Wraps POST /v1/messenger/auth so that every outcome is counted by app, platform and result. */
export function instrumentAuthRoute(routes: Route[], metrics: VerityMetrics): Route[] {
  return routes.map((route) => {
    if (route.method !== 'POST' || route.path !== '/v1/messenger/auth') return route
    const handle = route.handle.bind(route)
    const classify = (body: AuthRequest, reply: Reply) => {
      const user = (reply.body as { user?: { verified?: boolean; anonymous?: boolean } } | undefined)?.user
      metrics.recordAuth(body.app_id, body.platform, user?.verified ? 'verified' : user?.anonymous ? 'anonymous' : 'unverified')
      return reply
    }
    const failed = (body: AuthRequest, error: unknown): never => {
      const code = error instanceof VerityError ? error.code : ''
      metrics.recordAuth(body.app_id, body.platform, ERROR_RESULTS[code] ?? 'error')
      throw error
    }
    return {
      ...route,
      handle(ctx, res) {
        const body = ctx.body as AuthRequest
        let reply: Reply | Promise<Reply>
        try {
          reply = handle(ctx, res)
        } catch (error) {
          return failed(body, error)
        }
        // Synchronous today (memory only); stay correct should it ever await.
        if (reply instanceof Promise) return reply.then((r) => classify(body, r), (error: unknown) => failed(body, error))
        return classify(body, reply)
      },
    } satisfies Route
  })
}
