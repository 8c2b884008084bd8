import { z } from 'zod'
import { defineRoute, type Route } from '../route.js'
import { errorSchema } from '../schemas/common.js'

const statusSchema = <S extends string>(status: S) => z.object({ status: z.literal(status) })
/** The document's outline; its full shape is OpenAPI 3.1's own. */
const openApiSchema = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ version: z.string() }), paths: z.record(z.string(), z.unknown()) })

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
      responses: { 200: { description: 'Alive', schema: statusSchema('ok') } },
      errors: [],
      handle: () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/readyz',
      audience: 'public',
      tag: 'operations',
      summary: 'Readiness: 200 once storage is reachable and the configuration is loaded and fresh',
      responses: { 200: { description: 'Ready', schema: statusSchema('ready') }, 503: { description: 'Not ready', schema: errorSchema } },
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
      responses: { 200: { description: 'The document', schema: openApiSchema } },
      errors: [],
      handle: () => ({ status: 200, body: deps.openApiDocument() }),
    }),
  ]
}
