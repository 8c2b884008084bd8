import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import { isPublicAddress } from '../network/address-policy.js'
import { urlProblem } from '../network/bounded-get.js'
import type { FetchedJwks, FetchJwks } from '../config-cache/fetch-jwks.js'
import type { JwksStatus } from '../config-cache/jwks-source.js'
import type { AppRepository } from '../storage/app-repository.js'
import type { Actor, ConfigChanges } from '../storage/config-change.js'
import { publicKeyRows, type PublicKeyRepository, type StoredPublicKey } from '../storage/public-key-repository.js'
import { isJwkProblem, readPublicJwk } from '../verification/public-jwk.js'
import type { Platform } from '../verification/platforms.js'
import { APP_ID_PATTERN } from './app-admin.js'

/** Enough for a rotation of JWKs plus a few JWKS URLs; each one is held in memory by every process. */
export const MAX_PUBLIC_KEYS_PER_PLATFORM = 20
export const MAX_JWKS_URL_LENGTH = 2048

export interface PublicKeyView {
  id: string
  platform: Platform
  kind: 'jwk' | 'jwks_url'
  kid: string | null
  alg: string | null
  jwk: Record<string, string> | null
  jwks_url: string | null
  created_at: string
  /** For a JWKS URL: what this process last fetched from it. */
  jwks?: { kids: string[]; fetched_at: string | null; last_error: string | null }
}

export interface PublicKeysDeps {
  readonly changes: ConfigChanges
  readonly publicKeys: PublicKeyRepository
  readonly apps: AppRepository
  readonly fetchJwks: FetchJwks
  /** VERITY_JWKS_ALLOW_HTTP: http:// and any address, for development. */
  readonly allowHttp: boolean
  readonly onChange: () => Promise<void>
  /** Hands the registration's fetch to this process's cache, so it is not fetched twice; absent in the CLI. */
  readonly onJwksFetched?: (registrationId: string, url: string, fetched: FetchedJwks) => void
  /** What this process knows of a JWKS URL (the server's cache); absent in the CLI. */
  readonly jwksStatus?: (registrationId: string) => JwksStatus | undefined
  readonly now?: () => Date
}

export type NewPublicKeyInput = { readonly jwk: unknown; readonly jwks_url?: undefined } | { readonly jwks_url: string; readonly jwk?: undefined }

/**
 * Customer-held public keys of a platform, from the admin API and the CLI alike: each change in
 * one transaction with its audit event. Verity holds no signing secret for these: a leak of its
 * database lets nobody sign identity tokens.
 */
export class PublicKeys {
  readonly #deps: PublicKeysDeps
  readonly #now: () => Date

  constructor(deps: PublicKeysDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => new Date())
  }

  async add(appId: string, platform: Platform, input: NewPublicKeyInput, actor: Actor): Promise<PublicKeyView> {
    await this.#requireApp(appId)
    const now = this.#now()
    const id = newId('pk', now.getTime())
    const entry = input.jwk !== undefined ? this.#readJwk(id, appId, platform, input.jwk) : await this.#readJwksUrl(id, appId, platform, input.jwks_url ?? '')
    const details = entry.jwksUrl !== null ? { kind: 'jwks_url', jwks_url: entry.jwksUrl } : { kind: 'jwk', kid: entry.kid, alg: entry.algorithm }
    await this.#deps.changes.change({ actor, action: 'public_key.added', appId, platform, target: id, details }, now, async (trx) => {
      const existing = await publicKeyRows.ofPlatform(trx, appId, platform)
      if (existing.length >= MAX_PUBLIC_KEYS_PER_PLATFORM) {
        throw new VerityError('public_key_exists', `This platform has ${existing.length} public keys, the most it may have: remove one first.`)
      }
      if (entry.kid !== null && existing.some((k) => k.kid === entry.kid)) {
        throw new VerityError('public_key_exists', `This platform already has a public key with kid "${entry.kid}": use a new kid for a new key.`)
      }
      if (entry.jwksUrl !== null && existing.some((k) => k.jwksUrl === entry.jwksUrl)) {
        throw new VerityError('public_key_exists', 'This platform already uses this JWKS URL.')
      }
      await publicKeyRows.insert(trx, entry, now.toISOString())
    })
    if (entry.fetched) this.#deps.onJwksFetched?.(id, entry.jwksUrl!, entry.fetched)
    await this.#deps.onChange()
    const { fetched: _, ...stored } = entry
    return this.#view({ ...stored, createdAt: now.toISOString() })
  }

  async list(appId: string, platform: Platform): Promise<PublicKeyView[]> {
    await this.#requireApp(appId)
    return (await this.#deps.publicKeys.ofPlatform(appId, platform)).map((k) => this.#view(k))
  }

  /** Removes a key; sessions it verified stop working, as with a revoked secret. */
  async remove(appId: string, platform: Platform, id: string, actor: Actor): Promise<void> {
    await this.#requireApp(appId)
    await this.#deps.changes.change({ actor, action: 'public_key.removed', appId, platform, target: id }, this.#now(), async (trx) => {
      if (!(await publicKeyRows.remove(trx, appId, platform, id))) throw new VerityError('not_found', `This ${platform} platform has no public key with this id.`)
    })
    await this.#deps.onChange()
  }

  #readJwk(id: string, appId: string, platform: Platform, jwk: unknown) {
    const read = readPublicJwk(jwk)
    if (isJwkProblem(read)) throw new VerityError(read.code, read.message)
    return { id, appId, platform, kid: read.kid, algorithm: read.algorithm, jwk: read.jwk, jwksUrl: null, fetched: null }
  }

  /** Checked as every fetch is, then fetched once, so a wrong URL is said now rather than at the first login. */
  async #readJwksUrl(id: string, appId: string, platform: Platform, jwksUrl: string) {
    let url: URL
    try {
      url = new URL(jwksUrl)
    } catch {
      throw new VerityError('jwks_url_invalid', 'The JWKS URL is not a URL.')
    }
    if (jwksUrl.length > MAX_JWKS_URL_LENGTH) throw new VerityError('jwks_url_invalid', `The JWKS URL must be at most ${MAX_JWKS_URL_LENGTH} characters.`)
    const { allowHttp } = this.#deps
    const problem = urlProblem(url, { allowHttp, isAllowedAddress: allowHttp ? () => true : isPublicAddress })
    if (problem) throw new VerityError('jwks_url_invalid', `The JWKS URL is not acceptable: ${problem}.`)
    let fetched
    try {
      fetched = await this.#deps.fetchJwks(url.href)
    } catch (error) {
      throw new VerityError('jwks_url_invalid', `The JWKS URL could not be fetched: ${(error as Error).message}.`)
    }
    if (fetched.keys.length === 0) {
      throw new VerityError('jwks_url_invalid', `The JWKS has no usable key: Verity reads EC P-256 (ES256) and Ed25519 (EdDSA) signing keys with a kid${fetched.skipped > 0 ? `, and skipped ${fetched.skipped}` : ''}.`)
    }
    return { id, appId, platform, kid: null, algorithm: null, jwk: null, jwksUrl: url.href, fetched }
  }

  #view(key: StoredPublicKey): PublicKeyView {
    const view: PublicKeyView = {
      id: key.id,
      platform: key.platform,
      kind: key.jwksUrl !== null ? 'jwks_url' : 'jwk',
      kid: key.kid,
      alg: key.algorithm,
      jwk: key.jwk ? { ...key.jwk } : null,
      jwks_url: key.jwksUrl,
      created_at: key.createdAt,
    }
    const status = key.jwksUrl !== null ? this.#deps.jwksStatus?.(key.id) : undefined
    if (status) {
      view.jwks = {
        kids: [...status.kids],
        fetched_at: status.fetchedAt === null ? null : new Date(status.fetchedAt).toISOString(),
        last_error: status.lastError,
      }
    }
    return view
  }

  async #requireApp(appId: string): Promise<void> {
    if (!APP_ID_PATTERN.test(appId) || !(await this.#deps.apps.get(appId))) throw new VerityError('app_not_found')
  }
}
