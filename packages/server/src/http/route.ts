import type { IncomingMessage } from 'node:http'
import type { ZodType } from 'zod'
import type { ErrorCode } from '../errors/error-catalogue.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import type { Platform } from '../verification/platforms.js'
import type { AdminAction } from '../authorization/admin-permissions.js'
import type { Actor } from '../storage/config-change.js'
import type { Principal } from './admin-principal.js'

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'
export type Audience = 'public' | 'admin' | 'messenger'

/** The names of a path's `{param}` segments: `'/apps/{app_id}/platforms/{platform}'` → `'app_id' | 'platform'`. */
export type PathParamNames<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? Name | PathParamNames<Rest> : never

/** Path parameters as the handler sees them, already checked by http/path-params.ts. */
export type PathParams<Path extends string> = string extends Path
  ? Readonly<Record<string, string>>
  : { readonly [Name in PathParamNames<Path>]: Name extends 'platform' ? Platform : string }

export interface RequestContext<Body = unknown, Query = unknown, Path extends string = string> {
  readonly req: IncomingMessage
  readonly params: PathParams<Path>
  readonly body: Body
  readonly query: Query
  readonly requestId: string
  /** Set on admin routes: who acts and from where, for the audit log. */
  readonly actor: Actor
  /** Set on admin routes: the credential and its role. */
  readonly principal: Principal | null
  /** Set on messenger routes: the verified access token's claims. */
  readonly session: AccessTokenClaims | null
  /** The client's address, as per-client limits count it (VERITY_TRUSTED_PROXIES). */
  readonly client: string
}

export interface Reply {
  readonly status: number
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/** A reply that takes over the response (Server-Sent Events); the handler writes to `res` itself. */
export const STREAMED: Reply = Object.freeze({ status: 0 })

export interface ResponseDoc {
  readonly description: string
  readonly schema?: ZodType
}

/**
 * One route, declared once: the router, request validation and the OpenAPI document all derive
 * from this object, so they cannot disagree.
 */
export interface Route<Body = any, Query = any, Path extends string = string> {
  readonly method: Method
  /** OpenAPI style: /admin/v1/apps/{app_id} */
  readonly path: Path
  readonly audience: Audience
  /** Admin routes: what the call does; the request handler asks authorization/ before it runs. */
  readonly action?: AdminAction
  /** Admin routes for one's own dashboard session only (never an API token or the admin key). */
  readonly sessionOnly?: boolean
  readonly summary: string
  readonly description?: string
  readonly tag: string
  readonly body?: ZodType<Body>
  readonly query?: ZodType<Query>
  /** Bytes; defaults to 16 KiB on messenger routes and 64 KiB elsewhere. */
  readonly bodyLimit?: number
  readonly responses: Readonly<Record<number, ResponseDoc>>
  readonly errors: readonly ErrorCode[]
  handle(ctx: RequestContext<Body, Query, Path>, res: import('node:http').ServerResponse): Reply | Promise<Reply>
}

export function defineRoute<Body = undefined, Query = undefined, const Path extends string = string>(route: Route<Body, Query, Path>): Route<Body, Query, Path> {
  return route
}
