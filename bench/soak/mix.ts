import { randomBytes } from 'node:crypto'
import type { HttpClient, Reply } from './http-client.js'
import { address, hmacHex, identityToken, randomText, subjectOf, type Session, type SessionKind, SessionPool } from './population.js'
import type { SoakApp } from './seed.js'

/** What one call of the mix came to, and whether the mix expected it. */
export interface Outcome {
  readonly op: string
  readonly status: number
  readonly code: string | null
  readonly expected: boolean
}

/** A conversation watched by a live stream: messages posted into it must reach the stream. */
export interface StreamTarget {
  readonly session: Session
  readonly conversationId: string
  posted(messageId: string): void
}

export interface StreamTargets {
  pickTarget(): StreamTarget | null
}

type OpName =
  | 'auth_verified'
  | 'auth_identity_token'
  | 'auth_unverified'
  | 'auth_anonymous'
  | 'auth_refused'
  | 'me'
  | 'conversation_list'
  | 'conversation_get'
  | 'conversation_create'
  | 'conversation_post'

/**
 * Shares of the calls (per 100). A messenger starts with one auth and then mostly reads; about one
 * call in six writes. Refusals are wrong hashes for real users' ids on the enforced platform.
 */
export const WEIGHTS: ReadonlyArray<readonly [OpName, number]> = [
  ['auth_verified', 18],
  ['auth_identity_token', 6],
  ['auth_unverified', 7],
  ['auth_anonymous', 7],
  ['auth_refused', 4],
  ['me', 22],
  ['conversation_list', 14],
  ['conversation_get', 6],
  ['conversation_create', 6],
  ['conversation_post', 10],
]
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0)

const VERIFIED_USERS = 100_000
const TOKEN_USERS = 20_000
const GUESTS = 20_000
const GUEST_ADDRESSES = 100_000
const NEW_DEVICE_ADDRESSES = 120_000
const DEVICES_KEPT = 10_000
const APP_VERSIONS = ['3.1.0', '3.2.0', '3.2.1']

const random = (n: number): number => Math.floor(Math.random() * n)

export function messageBody(): string {
  // Mostly a line or two; now and then a pasted log.
  return randomText(Math.random() < 0.02 ? 4000 + random(4000) : 40 + random(260))
}

/** The calls of the soak, each with the answer it expects; sessions made by auths feed the later calls. */
export class Mix {
  readonly #client: HttpClient
  readonly #app: SoakApp
  readonly #pool: SessionPool
  readonly #streams: StreamTargets
  /** Guest i's device, once issued, so that a guest comes back to the same device. */
  readonly #guestDevices = new Map<number, string>()
  readonly #devices: Array<{ id: string; address: string }> = []

  constructor(client: HttpClient, app: SoakApp, pool: SessionPool, streams: StreamTargets) {
    this.#client = client
    this.#app = app
    this.#pool = pool
    this.#streams = streams
  }

  /** One call, chosen by weight. */
  next(): Promise<Outcome> {
    let roll = Math.random() * TOTAL_WEIGHT
    for (const [op, weight] of WEIGHTS) {
      roll -= weight
      if (roll < 0) return this.#run(op)
    }
    return this.#run('me')
  }

  #run(op: OpName): Promise<Outcome> {
    switch (op) {
      case 'auth_verified':
        return this.authVerified(random(VERIFIED_USERS)).then((r) => r.outcome)
      case 'auth_identity_token':
        return this.#authIdentityToken()
      case 'auth_unverified':
        return this.authUnverified(random(GUESTS)).then((r) => r.outcome)
      case 'auth_anonymous':
        return this.authAnonymous().then((r) => r.outcome)
      case 'auth_refused':
        return this.#authRefused()
      case 'me':
        return this.#me()
      case 'conversation_list':
        return this.#list()
      case 'conversation_get':
        return this.#get()
      case 'conversation_create':
        return this.#create()
      case 'conversation_post':
        return this.#post()
    }
  }

  async authVerified(user: number, prefix = 'u'): Promise<{ outcome: Outcome; session: Session | null }> {
    const userId = `${prefix}${user}`
    return this.#auth('auth_verified', 'verified', address(user), {
      app_id: this.#app.appId,
      platform: 'ios',
      user_id: userId,
      user_hash: hmacHex(this.#app.iosSecret, userId),
      app_version: APP_VERSIONS[random(APP_VERSIONS.length)],
      sdk_version: '1.4.0',
    })
  }

  async #authIdentityToken(): Promise<Outcome> {
    const user = random(TOKEN_USERS)
    const token = identityToken(this.#app.webSecret, `w${user}`, user % 3 === 0 ? 'pro' : 'free')
    const body = { app_id: this.#app.appId, platform: 'web', identity_token: token, app_version: '5.0.0' }
    return (await this.#auth('auth_identity_token', 'verified', address(user), body)).outcome
  }

  async authUnverified(guest: number, prefix = 'g'): Promise<{ outcome: Outcome; session: Session | null }> {
    const key = prefix === 'g' ? guest : -1 - guest
    const deviceId = this.#guestDevices.get(key)
    const body = { app_id: this.#app.appId, platform: 'ios', user_id: `${prefix}${guest}`, app_version: '3.0.0', ...(deviceId ? { device_id: deviceId } : {}) }
    const result = await this.#auth('auth_unverified', 'unverified', address(GUEST_ADDRESSES + guest), body)
    if (result.device) this.#guestDevices.set(key, result.device)
    return result
  }

  /**
   * A returning device half the time, else a new one. `own` keeps a device to one person: two
   * people on one device signed in within the same second would hold the same access token, and
   * share its live streams (5 per token).
   */
  async authAnonymous(device?: { id: string; address: string }, own = false): Promise<{ outcome: Outcome; session: Session | null; device: { id: string; address: string } | null }> {
    const known = device ?? (!own && Math.random() < 0.5 && this.#devices.length > 0 ? this.#devices[random(this.#devices.length)]! : null)
    const from = known?.address ?? address(NEW_DEVICE_ADDRESSES + random(11_000))
    const body = { app_id: this.#app.appId, platform: 'ios', ...(known ? { device_id: known.id } : {}) }
    const result = await this.#auth('auth_anonymous', 'anonymous', from, body)
    const issued = result.device ? { id: result.device, address: from } : null
    if (issued && !known && !own) {
      if (this.#devices.length < DEVICES_KEPT) this.#devices.push(issued)
      else this.#devices[random(DEVICES_KEPT)] = issued
    }
    return { ...result, device: issued }
  }

  async #authRefused(): Promise<Outcome> {
    // Someone guessing at a real user's id on the enforced platform, from anywhere.
    const body = { app_id: this.#app.appId, platform: 'android', user_id: `u${random(VERIFIED_USERS)}`, user_hash: randomBytes(32).toString('hex') }
    const reply = await this.#client.request('POST', '/v1/messenger/auth', { address: address(random(1 << 17)), body })
    return outcome('auth_refused', reply, reply.status === 401 && reply.code === 'user_hash_invalid')
  }

  async #auth(op: string, kind: SessionKind, from: string, body: object): Promise<{ outcome: Outcome; session: Session | null; device: string | null }> {
    const reply = await this.#client.request('POST', '/v1/messenger/auth', { address: from, body })
    const answer = reply.body as { access_token?: string; expires_in?: number; user?: { verified?: boolean; anonymous?: boolean; device_id?: string } } | undefined
    const ok = reply.status === 200 && typeof answer?.access_token === 'string' && answer.user?.verified === (kind === 'verified') && answer.user?.anonymous === (kind === 'anonymous')
    if (!ok) return { outcome: outcome(op, reply, false), session: null, device: null }
    const session: Session = {
      kind,
      token: answer!.access_token!,
      subject: subjectOf(answer!.access_token!),
      address: from,
      expiresAt: Date.now() + (answer!.expires_in ?? 900) * 1000,
      conversations: [],
    }
    this.#pool.add(session)
    return { outcome: outcome(op, reply, true), session, device: answer!.user?.device_id ?? null }
  }

  async #me(): Promise<Outcome> {
    const session = this.#pool.pick()
    if (!session) return this.authVerified(random(VERIFIED_USERS)).then((r) => r.outcome)
    const reply = await this.#client.request('GET', '/v1/messenger/me', { token: session.token, address: session.address })
    return outcome('me', reply, reply.status === 200)
  }

  async #list(): Promise<Outcome> {
    const session = this.#pool.pick()
    if (!session) return this.#me()
    const reply = await this.#client.request('GET', '/v1/messenger/conversations?limit=20', { token: session.token, address: session.address })
    return outcome('conversation_list', reply, reply.status === 200)
  }

  async #get(): Promise<Outcome> {
    const session = this.#pool.pick((s) => s.conversations.length > 0)
    if (!session) return this.#list()
    const id = session.conversations[random(session.conversations.length)]!
    const reply = await this.#client.request('GET', `/v1/messenger/conversations/${id}`, { token: session.token, address: session.address })
    return outcome('conversation_get', reply, reply.status === 200)
  }

  async #create(): Promise<Outcome> {
    const session = this.#pool.pick((s) => this.#pool.takeWrite(s.subject))
    if (!session) return this.#list()
    return (await this.startConversation(session)).outcome
  }

  async startConversation(session: Session): Promise<{ outcome: Outcome; conversationId: string | null; messageId: string | null }> {
    const reply = await this.#client.request('POST', '/v1/messenger/conversations', { token: session.token, address: session.address, body: { body: messageBody() } })
    const conversation = (reply.body as { conversation?: { id?: string; messages?: Array<{ id?: string }> } } | undefined)?.conversation
    const ok = reply.status === 201 && typeof conversation?.id === 'string'
    if (ok) {
      session.conversations.push(conversation!.id!)
      if (session.conversations.length > 5) session.conversations.shift()
    }
    return { outcome: outcome('conversation_create', reply, ok), conversationId: ok ? conversation!.id! : null, messageId: conversation?.messages?.[0]?.id ?? null }
  }

  async #post(): Promise<Outcome> {
    // A third of the replies go where a live stream listens, so that streams carry real traffic.
    const target = Math.random() < 0.33 ? this.#streams.pickTarget() : null
    if (target && this.#pool.takeWrite(target.session.subject)) {
      const reply = await this.#reply(target.session, target.conversationId)
      const id = (reply.body as { message?: { id?: string } } | undefined)?.message?.id
      if (reply.status === 201 && id) target.posted(id)
      return outcome('conversation_post', reply, reply.status === 201)
    }
    const session = this.#pool.pick((s) => s.conversations.length > 0 && this.#pool.takeWrite(s.subject))
    if (!session) return this.#create()
    const reply = await this.#reply(session, session.conversations[random(session.conversations.length)]!)
    return outcome('conversation_post', reply, reply.status === 201)
  }

  #reply(session: Session, conversationId: string): Promise<Reply> {
    return this.#client.request('POST', `/v1/messenger/conversations/${conversationId}/messages`, {
      token: session.token,
      address: session.address,
      body: { body: messageBody() },
    })
  }
}

function outcome(op: string, reply: Reply, expected: boolean): Outcome {
  return { op, status: reply.status, code: reply.code, expected }
}
