import { defineRoute, type Route } from '../route.js'

export interface HealthDeps {
  /** Storage reachable and configuration confirmed fresh. */
  readonly isReady: () => boolean
  readonly openApiDocument: () => unknown
}

export function healthRoutes(deps: HealthDeps): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/healthz',
      audience: 'public',
      tag: 'operations',
      summary: 'Liveness: 200 while the process lives',
      responses: { 200: { description: 'Alive' } },
      errors: [],
      handle: () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/readyz',
      audience: 'public',
      tag: 'operations',
      summary: 'Readiness: 200 once storage is reachable and the configuration is loaded and fresh',
      responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } },
      errors: [],
      handle: () =>
        deps.isReady()
          ? { status: 200, body: { status: 'ready' } }
          : { status: 503, headers: { 'Retry-After': '5' }, body: { error: { code: 'unavailable', message: 'Not ready: storage unreachable or configuration stale.' } } },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      audience: 'public',
      tag: 'operations',
      summary: 'This OpenAPI 3.1 document',
      responses: { 200: { description: 'The document' } },
      errors: [],
      handle: () => ({ status: 200, body: deps.openApiDocument() }),
    }),
  ]
}
