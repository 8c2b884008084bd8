import type { Logger } from 'pino'
import type { StoredPublicKey } from '../storage/public-key-repository.js'
import type { PlatformPublicKeys, PublicKeyLookup, VerifyingPublicKey } from '../verification/platform-public-keys.js'
import { isJwkProblem, readPublicJwk } from '../verification/public-jwk.js'
import type { FetchedJwks, FetchJwks } from './fetch-jwks.js'
import { JwksSource } from './jwks-source.js'

/**
 * Every JWKS URL's state in this process, kept across configuration reloads (an app reloaded for
 * an unrelated change must not forget its keys and fetch them again).
 */
export class JwksRegistry {
  readonly #sources = new Map<string, JwksSource>()
  readonly #deps: { fetch: FetchJwks; now: () => number; logger: Logger }

  constructor(deps: { fetch: FetchJwks; now?: () => number; logger: Logger }) {
    this.#deps = { fetch: deps.fetch, now: deps.now ?? Date.now, logger: deps.logger }
  }

  /** The source of a registration; a new one starts its first fetch at once, unless seeded. */
  source(registrationId: string, url: string): JwksSource {
    let source = this.#sources.get(registrationId)
    if (!source || source.url !== url) {
      source = new JwksSource(registrationId, url, this.#deps)
      this.#sources.set(registrationId, source)
      void source.refetch()
    }
    return source
  }

  /** A registration's own fetch (the one that checked the URL), so the source need not repeat it. */
  seed(registrationId: string, url: string, fetched: FetchedJwks): void {
    if (this.#sources.has(registrationId)) return
    const source = new JwksSource(registrationId, url, this.#deps)
    source.seed(fetched, this.#deps.now())
    this.#sources.set(registrationId, source)
  }

  get(registrationId: string): JwksSource | undefined {
    return this.#sources.get(registrationId)
  }

  /** Forgets the sources of removed registrations. */
  retain(registrationIds: ReadonlySet<string>): void {
    for (const id of this.#sources.keys()) if (!registrationIds.has(id)) this.#sources.delete(id)
  }
}

/** A platform's public keys: its registered JWKs by kid, then the keys of its JWKS URLs. */
export class PlatformKeySet implements PlatformPublicKeys {
  readonly count: number
  readonly #jwks = new Map<string, VerifyingPublicKey>()
  readonly #sources: readonly JwksSource[]
  readonly #ids: ReadonlySet<string>

  /** Without a registry (a CLI command that fetches nothing), JWKS URLs contribute no keys. */
  constructor(stored: readonly StoredPublicKey[], registry: JwksRegistry | undefined, onUnreadable: (id: string) => void) {
    const sources: JwksSource[] = []
    for (const entry of stored) {
      if (entry.jwksUrl !== null) {
        if (registry) sources.push(registry.source(entry.id, entry.jwksUrl))
        continue
      }
      const read = readPublicJwk(entry.jwk)
      if (isJwkProblem(read)) {
        onUnreadable(entry.id)
        continue
      }
      this.#jwks.set(read.kid, { registrationId: entry.id, kid: read.kid, algorithm: read.algorithm, key: read.key })
    }
    this.#sources = sources
    this.#ids = new Set(stored.map((s) => s.id))
    this.count = stored.length
  }

  has(registrationId: string): boolean {
    return this.#ids.has(registrationId)
  }

  lookup(kid: string): PublicKeyLookup {
    const registered = this.#jwks.get(kid)
    if (registered) return { kind: 'found', key: registered }
    let unreachable = false
    for (const source of this.#sources) {
      const found = source.lookup(kid)
      if (found.kind === 'found') return found
      if (found.kind === 'unreachable') unreachable = true
    }
    return unreachable ? { kind: 'unreachable' } : { kind: 'unknown' }
  }

  /**
   * For a kid no key has: one fetch of the platform's JWKS URLs (each at most once a minute), to
   * wait for before checking the token again; null when none may be fetched now.
   */
  refetch(): Promise<void> | null {
    const pending = this.#sources.map((s) => s.refetch()).filter((p): p is Promise<void> => p !== null)
    return pending.length === 0 ? null : Promise.all(pending).then(() => {})
  }

  jwksUrlIds(): string[] {
    return this.#sources.map((s) => s.registrationId)
  }
}
