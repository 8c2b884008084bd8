import { createHmac, randomBytes } from 'node:crypto'

/**
 * The simulated people: verified users, guests who give an id without proof, anonymous devices,
 * each behind a client address of their own (198.18.0.0/15, the range set aside for benchmarks),
 * as a load balancer in front of Verity would see them. One address per person keeps every
 * per-address limit as far from the load as it is in production, without raising any of them.
 */
export const ADDRESSES = 1 << 17

export function address(index: number): string {
  const i = ((index % ADDRESSES) + ADDRESSES) % ADDRESSES
  return `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`
}

export const hmacHex = (secret: string, message: string): string => createHmac('sha256', secret).update(message, 'utf8').digest('hex')

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** An HS256 identity token as a customer's backend signs it, valid for an hour. */
export function identityToken(secret: string, userId: string, plan: string): string {
  const now = Math.floor(Date.now() / 1000)
  const input = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ user_id: userId, iat: now, exp: now + 3600, attributes: { plan } })}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

export type SessionKind = 'verified' | 'unverified' | 'anonymous'

export interface Session {
  readonly kind: SessionKind
  readonly token: string
  /** The server's subject (`sub`): writes are limited per app and subject. */
  readonly subject: string
  readonly address: string
  readonly expiresAt: number
  /** Conversations this session started, newest last (a few). */
  readonly conversations: string[]
}

/** The `sub` claim of an access token (the load generator trusts its own server's tokens). */
export function subjectOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown }
  return typeof payload.sub === 'string' ? payload.sub : ''
}

/**
 * Writes a subject may make each minute of the wall clock. People write a few messages a minute.
 * The server's window (30 per session) reaches back a little over a minute, so it can overlap
 * three minutes of the wall clock: 9 a minute keeps it under 30 whatever the timing.
 */
export const WRITES_PER_MINUTE = 9

/** The sessions that the mix's calls use: the latest few thousand, as a server sees in production. */
export class SessionPool {
  readonly #sessions: Session[] = []
  readonly #capacity: number
  #next = 0
  #writes = new Map<string, number>()
  #writesMinute = 0

  constructor(capacity = 20_000) {
    this.#capacity = capacity
  }

  get size(): number {
    return this.#sessions.length
  }

  add(session: Session): void {
    if (this.#sessions.length < this.#capacity) this.#sessions.push(session)
    else this.#sessions[this.#next++ % this.#capacity] = session
  }

  /** A random session whose token has a minute left, or null while there is none. */
  pick(filter?: (session: Session) => boolean): Session | null {
    const now = Date.now()
    for (let tries = 0; tries < 8 && this.#sessions.length > 0; tries++) {
      const session = this.#sessions[Math.floor(Math.random() * this.#sessions.length)]!
      if (session.expiresAt - now > 60_000 && (!filter || filter(session))) return session
    }
    return null
  }

  /** Spends one of the subject's writes of this minute; false when it has written enough. */
  takeWrite(subject: string): boolean {
    const minute = Math.floor(Date.now() / 60_000)
    if (minute !== this.#writesMinute) {
      this.#writes = new Map()
      this.#writesMinute = minute
    }
    const used = this.#writes.get(subject) ?? 0
    if (used >= WRITES_PER_MINUTE) return false
    this.#writes.set(subject, used + 1)
    return true
  }
}

export function randomText(bytes: number): string {
  const words = ['hello', 'my', 'order', 'has', 'not', 'arrived', 'yet', 'could', 'you', 'check', 'please', 'thanks', 'the', 'app', 'crashes', 'when', 'I', 'open', 'settings']
  let text = ''
  while (text.length < bytes) text += `${words[Math.floor(Math.random() * words.length)]} `
  return `${text.slice(0, bytes - 9)} ${randomBytes(4).toString('hex')}`
}
