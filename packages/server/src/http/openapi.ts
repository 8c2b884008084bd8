import { z, type ZodType } from 'zod'
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/error-catalogue.js'
import type { Route } from './route.js'
import { isSensitive } from '../authorization/admin-permissions.js'

type JsonSchema = Record<string, unknown>

/**
 * JSON Schema for one zod schema. Schemas named with `.meta({ id })` become shared components,
 * referenced as #/components/schemas/<id> (zod alone would point at a $defs the document lacks).
 */
function schemaOf(schema: ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const json = rewriteRefs(z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' })) as JsonSchema
  delete json.$schema
  const defs = json.$defs as Record<string, JsonSchema> | undefined
  delete json.$defs
  Object.assign(components, defs)
  return json
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v)]),
  )
}

function queryParameters(route: Route, components: Record<string, JsonSchema>): JsonSchema[] {
  if (!route.query) return []
  const json = schemaOf(route.query, 'input', components) as { properties?: Record<string, JsonSchema>; required?: string[] }
  return Object.entries(json.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema,
  }))
}

function errorResponses(codes: readonly ErrorCode[]): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of codes) {
    const status = ERROR_CATALOGUE[code].status
    byStatus.set(status, [...(byStatus.get(status) ?? []), code])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: list.map((c) => `\`${c}\`: ${ERROR_CATALOGUE[c].message}`).join(' '),
        // Machine-readable, so a generated client (and the SDK's own test) can know every code.
        'x-error-codes': list,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  )
}

/** The OpenAPI 3.1 document, generated from the same route objects that validate requests. */
export function buildOpenApiDocument(routes: readonly Route[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  const components: Record<string, JsonSchema> = {}
  for (const route of routes) {
    const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }))
    const operation: JsonSchema = {
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[/_-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      summary: route.summary,
      ...(route.description && { description: route.description }),
      tags: [route.tag],
      ...(route.audience === 'admin' && { security: route.sessionOnly ? [{ session: [] }] : [{ adminKey: [] }, { session: [] }] }),
      // The role rule behind the route (authorization/admin-permissions.ts).
      ...(route.action && { 'x-verity-action': route.action }),
      ...(route.audience === 'messenger' && { security: [{ accessToken: [] }] }),
      parameters: [...pathParams, ...queryParameters(route, components)],
      ...(route.body && {
        requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input', components) } } },
      }),
      responses: {
        ...Object.fromEntries(
          Object.entries(route.responses).map(([status, doc]) => [
            status,
            { description: doc.description, ...(doc.schema && { content: { 'application/json': { schema: schemaOf(doc.schema, 'output', components) } } }) },
          ]),
        ),
        // Every admin route sits behind the guard on credential guesses and the role gate
        // (http/admin-principal.ts): their answers apply to each, whether the route lists them or not.
        ...errorResponses(route.audience === 'admin' ? adminGateErrors(route) : route.errors),
      },
    }
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Verity',
      version,
      description: 'Identity verification for in-app messengers. Errors are {"error": {"code", "message"}}; codes are stable.',
    },
    paths,
    components: {
      schemas: {
        ...components,
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) }, message: { type: 'string' } },
            },
          },
        },
      },
      securitySchemes: {
        adminKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An admin key (VERITY_ADMIN_KEY, or the key printed on first start; owner rights), or a personal API token (vpt_…, its own role). After VERITY_ADMIN_GUESS_RATE wrong credentials a minute from one client address, every call from it gets 429, the right one too.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: '__Host-verity_session',
          description:
            'The dashboard session from POST /admin/v1/session (verity_session on plain-HTTP loopback). Unsafe methods also need the X-CSRF-Token header and a same-origin Origin; sensitive calls a confirmation within 10 minutes.',
        },
        accessToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access_token from POST /v1/messenger/auth.' },
      },
    },
  }
}

/** The route's own errors, with those of the gate every admin route passes first. */
function adminGateErrors(route: Route): ErrorCode[] {
  const gate: ErrorCode[] = ['unauthorized', 'forbidden', 'rate_limited']
  if (route.method !== 'GET') gate.push('csrf_failed')
  if (route.action && isSensitive(route.action)) gate.push('reauthentication_required')
  return [...new Set([...route.errors, ...gate])]
}
