import { isPublicAddress } from '../network/address-policy.js'
import { boundedGet, type BoundedGetOptions } from '../network/bounded-get.js'
import { isJwkProblem, readPublicJwk, type PublicJwk } from '../verification/public-jwk.js'

/** How long a fetched JWKS is fresh: its Cache-Control max-age, clamped (API.md). */
export const MIN_JWKS_MAX_AGE_MS = 5 * 60_000
export const MAX_JWKS_MAX_AGE_MS = 24 * 3600_000
export const JWKS_MAX_BYTES = 64 * 1024
export const JWKS_TIMEOUT_MS = 5_000
export const JWKS_MAX_REDIRECTS = 2
/** More keys than any rotation needs; a set past it is refused rather than held. */
export const JWKS_MAX_KEYS = 100

export interface FetchedJwks {
  /** The usable keys: P-256 and Ed25519 signing keys with a kid. Others in the set are skipped. */
  readonly keys: readonly PublicJwk[]
  readonly maxAgeMs: number
  /** How many keys of the set were skipped (RSA, encryption keys, no kid, ...), for the admin. */
  readonly skipped: number
}

export type FetchJwks = (url: string) => Promise<FetchedJwks>

export class JwksError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'JwksError'
  }
}

/** The bounds every JWKS fetch uses; development (VERITY_JWKS_ALLOW_HTTP=1) lifts scheme and address rules. */
export function jwksGetOptions(allowHttp: boolean): BoundedGetOptions {
  return { maxBytes: JWKS_MAX_BYTES, timeoutMs: JWKS_TIMEOUT_MS, maxRedirects: JWKS_MAX_REDIRECTS, allowHttp, isAllowedAddress: allowHttp ? () => true : isPublicAddress }
}

/** Fetches and reads a JWKS URL within the bounds; throws JwksError or BoundedGetError saying why. */
export function jwksFetcher(options: BoundedGetOptions): FetchJwks {
  return async (url) => {
    const { body, headers } = await boundedGet(url, options)
    return { ...readJwks(body), maxAgeMs: jwksMaxAge(headers['cache-control']) }
  }
}

export function readJwks(body: Buffer): Omit<FetchedJwks, 'maxAgeMs'> {
  let parsed: unknown
  try {
    parsed = JSON.parse(body.toString('utf8'))
  } catch {
    throw new JwksError('the answer is not JSON')
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys)) throw new JwksError('the answer is not a JWKS: it has no "keys" array')
  if (keys.length > JWKS_MAX_KEYS) throw new JwksError(`the JWKS has ${keys.length} keys; at most ${JWKS_MAX_KEYS} are read`)
  const usable: PublicJwk[] = []
  for (const entry of keys) {
    const key = readPublicJwk(entry)
    if (!isJwkProblem(key)) usable.push(key)
  }
  // A kid served twice is ambiguous: neither copy is trusted to be the one a token means.
  const duplicated = new Set(usable.filter((k, i) => usable.findIndex((o) => o.kid === k.kid) !== i).map((k) => k.kid))
  const kept = usable.filter((k) => !duplicated.has(k.kid))
  return { keys: kept, skipped: keys.length - kept.length }
}

/** max-age from Cache-Control, clamped between 5 minutes and 24 hours; the minimum without one. */
export function jwksMaxAge(cacheControl: string | undefined): number {
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl ?? '')
  const seconds = match ? Number(match[1]) : 0
  return Math.min(MAX_JWKS_MAX_AGE_MS, Math.max(MIN_JWKS_MAX_AGE_MS, seconds * 1000))
}
