import { requestJson, type Fetch } from './http.js'
import type { MessengerStorage } from './storage.js'
import type { Identity, LoginOptions, MessengerOptions, MessengerUser } from './types.js'
import { VerityError } from './verity-error.js'
import { SDK_VERSION } from './version.js'

/** What an access token was obtained with, so that it can be renewed the same way. */
interface Credentials {
  identity?: Identity | undefined
  userHash?: string | undefined
  identityToken?: string | undefined
}

/** The session state machine behind login, registration, hash and renewal. */
export interface Session {
  readonly token: string | null
  readonly user: MessengerUser | null
  /** A registration waits for its user hash. */
  readonly pending: boolean
  login(options: LoginOptions): Promise<MessengerUser>
  setUserHash(userHash: string): Promise<void>
  registerIdentified(identity: Identity): Promise<void>
  registerUnidentified(): Promise<void>
  logout(): Promise<void>
  /** Renews the session after `stale` was refused as expired or revoked (once, however many ask). */
  renew(stale: string): Promise<void>
  /** Resolves when the session calls queued so far have settled. */
  idle(): Promise<unknown>
}

const HASH_MISSING_WARNING =
  '[verity] registerIdentifiedUser: this platform requires a user hash. The registration waits until you call setUserHash(hash) with the hash from your server.'

function refuseUnknownFields(options: object, allowed: string[], method: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new VerityError('invalid_request', `${method}: unknown field "${key}"; expected ${allowed.join(', ')}.`)
  }
}

const sameUser = (a: MessengerUser | null, b: MessengerUser | null): boolean =>
  !!a && !!b && a.userId === b.userId && a.email === b.email && a.anonymous === b.anonymous && a.verified === b.verified

/**
 * Runs every session change one after another, so the app may call login, registration and
 * setUserHash in any order and without awaiting them. `onChange` is told when the session's user
 * changes (another user, another trust level, logout), not on a silent renewal.
 */
export function createSession(options: MessengerOptions, fetchImpl: Fetch, storage: MessengerStorage, onChange: () => void): Session {
  const authUrl = `${options.baseUrl.replace(/\/+$/, '')}/v1/messenger/auth`
  const deviceKey = `verity:${options.appId}:device_id`
  let token: string | null = null
  let user: MessengerUser | null = null
  let credentials: Credentials | null = null
  let userHash: string | undefined
  let pending: Identity | null = null
  let queue: Promise<unknown> = Promise.resolve()

  const run = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task)
    queue = result.catch(() => {})
    return result
  }

  const forget = (): void => {
    const had = user !== null
    token = user = credentials = pending = null
    userHash = undefined
    if (had) onChange()
  }

  async function authenticate(next: Credentials): Promise<MessengerUser> {
    const body: Record<string, string> = { app_id: options.appId, platform: options.platform, sdk_version: SDK_VERSION }
    if (options.appVersion) body.app_version = options.appVersion
    if (next.identity?.userId !== undefined) body.user_id = next.identity.userId
    if (next.identity?.email !== undefined) body.email = next.identity.email
    if (next.userHash !== undefined) body.user_hash = next.userHash
    if (next.identityToken !== undefined) body.identity_token = next.identityToken
    // A storage that fails costs the device's continuity, never the login.
    const deviceId = await Promise.resolve()
      .then(() => storage.getItem(deviceKey))
      .catch(() => null)
    if (deviceId) body.device_id = deviceId
    const response = await requestJson(fetchImpl, authUrl, 'POST', body)
    const u = response.user
    if (u.device_id && u.device_id !== deviceId) await Promise.resolve(storage.setItem(deviceKey, u.device_id)).catch(() => {})
    const nextUser: MessengerUser = { userId: u.user_id, email: u.email, anonymous: u.anonymous, verified: u.verified }
    const changed = !sameUser(user, nextUser)
    token = response.access_token
    user = nextUser
    credentials = next
    if (changed) onChange()
    return nextUser
  }

  return {
    get token() {
      return token
    },
    get user() {
      return user
    },
    get pending() {
      return pending !== null
    },

    login: (login) =>
      run(() => {
        refuseUnknownFields(login, ['userId', 'email', 'userHash', 'identityToken'], 'login')
        forget()
        userHash = login.userHash
        const identity = login.userId !== undefined || login.email !== undefined ? { userId: login.userId, email: login.email } : undefined
        return authenticate({ identity, userHash: login.userHash, identityToken: login.identityToken })
      }),

    setUserHash: (hash) =>
      run(async () => {
        userHash = hash
        // A verified session keeps its proof; the hash waits for the next registration (another user).
        const target = pending ?? (user?.verified || credentials?.identityToken !== undefined ? undefined : credentials?.identity)
        if (!target || (!pending && credentials?.userHash === hash)) return
        await authenticate({ identity: target, userHash: hash })
        pending = null
      }),

    registerIdentified: (identity) =>
      run(async () => {
        refuseUnknownFields(identity, ['userId', 'email'], 'registerIdentifiedUser')
        if (identity.userId === undefined && identity.email === undefined) {
          throw new VerityError('invalid_request', 'registerIdentifiedUser needs a userId or an email; use registerUnidentifiedUser() for visitors.')
        }
        const current = credentials?.identity ?? pending
        const same = current?.userId === identity.userId && current?.email === identity.email
        if (same && token && credentials?.userHash === userHash) return
        if (!same) {
          // Another user: nothing of the previous one stays, except a hash given for this one.
          const hash = userHash
          forget()
          userHash = hash
        }
        const waiting = pending !== null
        pending = null
        try {
          await authenticate({ identity: { userId: identity.userId, email: identity.email }, userHash })
        } catch (error) {
          if ((error as VerityError).code !== 'user_hash_missing') throw error
          if (!waiting) console.warn(HASH_MISSING_WARNING)
          pending = identity
        }
      }),

    registerUnidentified: () =>
      run(async () => {
        forget()
        await authenticate({})
      }),

    logout: () => run(async () => forget()),

    renew: (stale) =>
      run(async () => {
        if (token !== stale || !credentials) return
        let next = credentials
        if (next.identityToken !== undefined && options.getIdentityToken) next = { identityToken: await options.getIdentityToken() }
        await authenticate(next)
      }),

    idle: () => queue,
  }
}
