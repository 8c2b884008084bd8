import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { spaceOf, type ConversationSpace } from '../authorization/can-read-conversation.js'
import { idFloor } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import { LiveStream } from './live-stream.js'
import type { MessageFeed } from './message-feed.js'
import { HEARTBEAT, RETRY_MS, writeStreamHead } from './sse-connection.js'
import { StreamSlots, tokenKey, type StreamLimits } from './stream-slots.js'

export { MAX_QUEUED_BYTES, REPLAY_LIMIT, REPLAY_PAGE } from './live-stream.js'

export const DEFAULT_MAX_STREAMS = 5_000
export const HEARTBEAT_MS = 15_000
/** How often every stream's token is checked again, beside the check on each delivery. */
export const SWEEP_MS = 1_000

export interface EventStreamsOptions {
  readonly feed: MessageFeed
  readonly replay: (space: ConversationSpace, afterId: string, limit: number) => Promise<MessageInSpace[]>
  /**
   * The revocation half of authentication (isSessionCurrent: app deleted, secret revoked,
   * platform enforced for an unverified session), asked before every delivery and on every sweep.
   */
  readonly isSessionValid: (session: AccessTokenClaims) => boolean
  readonly logger: Logger
  /** Per access token, per client address, and in all; defaults 5, 200 and DEFAULT_MAX_STREAMS. */
  readonly limits?: Partial<StreamLimits>
  readonly heartbeatMs?: number
  readonly sweepMs?: number
  readonly now?: () => number
}

/**
 * The Server-Sent Events connections of this process: each gets the new messages its session may
 * read (the same rule as every other read), a heartbeat, the messages it missed after a
 * Last-Event-ID, and its end when its token expires or is revoked, when the client goes away, or
 * when the server shuts down. Their number is bounded per access token, per client address and in
 * all, and so is what each may queue, so neither idle nor stalled connections exhaust a process.
 */
export class EventStreams {
  readonly #options: EventStreamsOptions
  readonly #streams = new Set<LiveStream>()
  readonly #slots: StreamSlots
  readonly #now: () => number
  readonly #heartbeatMs: number
  #timer: NodeJS.Timeout | null = null
  #lastBeat = 0
  #dropped = 0
  #closed = false

  constructor(options: EventStreamsOptions) {
    this.#options = options
    this.#slots = new StreamSlots({
      perSession: options.limits?.perSession ?? 5,
      perClient: options.limits?.perClient ?? 200,
      total: options.limits?.total ?? DEFAULT_MAX_STREAMS,
    })
    this.#now = options.now ?? Date.now
    this.#heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
  }

  /** Connections held, including those ending whose sockets are not gone yet. */
  get size(): number {
    return this.#streams.size
  }

  /** Bytes queued for all streams (sockets and replays' waiting messages). */
  get queuedBytes(): number {
    let total = 0
    for (const stream of this.#streams) total += stream.queuedBytes
    return total
  }

  /** Streams cut off because their client fell more than MAX_QUEUED_BYTES behind. */
  get dropped(): number {
    return this.#dropped
  }

  /**
   * Takes over `res`. Refusals throw before anything is written, so the caller can still answer
   * with an error; after that nothing throws: failures end the stream and the client reconnects.
   */
  open(session: AccessTokenClaims, res: ServerResponse, lastEventId: string | null, requestId: string, client: string): void {
    if (this.#closed) throw new VerityError('unavailable', 'The server is shutting down. Reconnect shortly.', { headers: { 'Retry-After': '2' } })
    // A client already gone would never close again: take no place for it.
    if (res.destroyed) return
    const release = this.#slots.take(tokenKey(session), client)
    const stream = new LiveStream({
      session,
      res,
      feed: this.#options.feed,
      holds: this.#holds,
      onGone: () => {
        release()
        this.#streams.delete(stream)
        if (this.#streams.size === 0) this.#stopTimer()
      },
      onDropped: () => {
        this.#dropped++
        this.#options.logger.info({ reqId: requestId }, 'a live stream fell too far behind; its connection was closed')
      },
    })
    this.#streams.add(stream)
    writeStreamHead(res, requestId, { 'Access-Control-Allow-Origin': '*' })
    // A fresh stream gets a resume point at once. Without it, a client whose connection drops
    // before its first message would reconnect with no Last-Event-ID and lose what arrived in
    // between. The point lies a feed look-back before now, so another process's clock skew cannot
    // hide a message behind it; a reconnect may then replay a few seconds early, never miss any.
    const resumeFrom = lastEventId === null ? `id: ${idFloor('msg', this.#now() - this.#options.feed.lookbackMs)}\n` : ''
    stream.send(`retry: ${RETRY_MS}\n${resumeFrom}: connected\n\n`)
    this.#startTimer()

    const space = spaceOf(session)
    if (lastEventId === null || space === null) return
    stream.replay((afterId, limit) => this.#options.replay(space, afterId, limit), lastEventId).catch((error: unknown) => {
      this.#options.logger.error({ reqId: requestId, err: error }, 'could not replay missed messages; ending the stream')
      stream.end()
    })
  }

  /** Ends every stream and refuses new ones: called first on shutdown, so draining does not wait on them. */
  closeAll(): void {
    this.#closed = true
    for (const stream of [...this.#streams]) stream.end()
  }

  /** The one question asked of a stream's token, before each delivery and on each sweep. */
  readonly #holds = (session: AccessTokenClaims): boolean => session.exp * 1000 > this.#now() && this.#options.isSessionValid(session)

  #startTimer(): void {
    if (this.#timer) return
    this.#lastBeat = this.#now()
    this.#timer = setInterval(() => this.#tick(), this.#options.sweepMs ?? SWEEP_MS)
    this.#timer.unref()
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  /**
   * Ends the streams whose token no longer holds, so one that expired or was revoked while no
   * message came is closed too. Runs every second, and at once when the configuration changes.
   */
  sweep(): void {
    for (const stream of [...this.#streams]) if (stream.isOpen && !this.#holds(stream.session)) stream.end()
  }

  /** The sweep, and now and then a heartbeat that keeps proxies from closing idle connections. */
  #tick(): void {
    this.sweep()
    const now = this.#now()
    if (now - this.#lastBeat < this.#heartbeatMs) return
    this.#lastBeat = now
    for (const stream of this.#streams) if (stream.isOpen) stream.send(HEARTBEAT)
  }
}
