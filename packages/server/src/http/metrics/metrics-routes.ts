import { timingSafeEqual, createHash } from 'node:crypto'
import { VerityError } from '../../errors/verity-error.js'
import { bearerChallenge } from '../../tokens/access-token-keyring.js'
import { defineRoute, STREAMED, type Route } from '../route.js'
import type { AuthObserver } from '../routes/messenger-auth-routes.js'
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

/** Counts every outcome of POST /v1/messenger/auth by app, platform and result, from the service's decision. */
export function countAuthResults(metrics: VerityMetrics): AuthObserver {
  return {
    session: (request, session) => metrics.recordAuth(request.app_id, request.platform, session.trust),
    refusal: (request, error) => {
      const code = error instanceof VerityError ? error.code : ''
      metrics.recordAuth(request.app_id, request.platform, ERROR_RESULTS[code] ?? 'error')
    },
  }
}
