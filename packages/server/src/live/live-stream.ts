import type { ServerResponse } from 'node:http'
import { setImmediate as yieldToOthers } from 'node:timers/promises'
import { canReadConversation } from '../authorization/can-read-conversation.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import { eventFrame } from './event-frame.js'
import type { MessageFeed } from './message-feed.js'
import { MAX_QUEUED_BYTES, SseConnection } from './sse-connection.js'

export { MAX_QUEUED_BYTES } from './sse-connection.js'
/** A reconnecting client gets at most this many missed messages; it can read the rest per conversation. */
export const REPLAY_LIMIT = 1_000
/** The replay reads this many messages at a time, and lets other requests run between reads. */
export const REPLAY_PAGE = 100
/** The replay writes only while less than this is queued, so live messages keep the rest of the bound. */
const REPLAY_HIGH_WATER = 64 * 1024
/** While a replay waits for a client to catch up, it looks again at least this often. */
const CATCH_UP_CHECK_MS = 1_000

export type ReplayReader = (afterId: string, limit: number) => Promise<MessageInSpace[]>

export interface LiveStreamOptions {
  readonly session: AccessTokenClaims
  readonly res: ServerResponse
  readonly feed: MessageFeed
  /** Whether the token still holds (expiry, revocation); asked before every delivery. */
  readonly holds: (session: AccessTokenClaims) => boolean
  /** The connection is gone (once): its memory is free, its place may be given back. */
  readonly onGone: () => void
  /** The client fell more than MAX_QUEUED_BYTES behind and was cut off. */
  readonly onDropped: () => void
}

/**
 * One Server-Sent Events connection: the messages its session may read, and nothing once its
 * token no longer holds. What it queues is bounded: a client that does not read is cut off rather
 * than buffered for, and a replay waits for the client instead of queueing ahead of it.
 */
export class LiveStream extends SseConnection {
  readonly session: AccessTokenClaims
  readonly #holds: (session: AccessTokenClaims) => boolean
  readonly #unsubscribe: () => void
  /** Live messages that arrived during a replay: sent after it, in order. */
  #pending: Array<{ readonly id: string; readonly frame: Buffer }> | null = null
  #pendingBytes = 0
  /** Ids the replay sent, so the feed does not send them again. */
  readonly #replayed = new Set<string>()

  constructor(options: LiveStreamOptions) {
    super(options.res, options)
    this.session = options.session
    this.#holds = options.holds
    this.#unsubscribe = options.feed.subscribe((item) => this.deliver(item))
  }

  protected override heldBytes(): number {
    return this.#pendingBytes
  }

  deliver(item: MessageInSpace): void {
    if (!this.isOpen || !canReadConversation(this.session, item.space) || this.#replayed.has(item.message.id)) return
    if (!this.#holds(this.session)) {
      this.end()
      return
    }
    const frame = eventFrame(item)
    if (this.#pending === null) {
      this.send(frame)
    } else if (this.queuedBytes + frame.length > MAX_QUEUED_BYTES) {
      this.drop()
    } else {
      this.#pending.push({ id: item.message.id, frame })
      this.#pendingBytes += frame.length
    }
  }

  /**
   * Sends up to REPLAY_LIMIT messages after `afterId`, a page at a time, then what arrived live
   * meanwhile. Between pages other requests run; while the client is behind, the replay waits and
   * holds nothing but its queue (the rest of a page is read again later).
   */
  async replay(read: ReplayReader, afterId: string): Promise<void> {
    this.#pending = []
    let after = afterId
    let sent = 0
    while (sent < REPLAY_LIMIT) {
      while (this.isOpen && this.res.writableLength >= REPLAY_HIGH_WATER) await this.#caughtUp()
      if (!this.isOpen) return
      const want = Math.min(REPLAY_PAGE, REPLAY_LIMIT - sent)
      let page: MessageInSpace[] | null = await read(after, want)
      let written = 0
      for (const item of page) {
        if (!this.isOpen || this.res.writableLength >= REPLAY_HIGH_WATER) break
        this.#replayed.add(item.message.id)
        this.send(eventFrame(item))
        after = item.message.id
        written++
      }
      sent += written
      const finished = written === page.length && page.length < want
      page = null
      if (finished) break
      await yieldToOthers()
    }
    const waiting = this.#pending ?? []
    this.#pending = null
    this.#pendingBytes = 0
    for (const { id, frame } of waiting) if (!this.#replayed.has(id)) this.send(frame)
  }

  protected override stopped(): void {
    this.#unsubscribe()
    this.#pending = null
    this.#pendingBytes = 0
  }

  /** Resolves when the socket drained, the connection closed, or after a while (to look again). */
  #caughtUp(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.res.off('drain', done)
        this.res.off('close', done)
        resolve()
      }
      const timer = setTimeout(done, CATCH_UP_CHECK_MS)
      timer.unref()
      this.res.once('drain', done)
      this.res.once('close', done)
    })
  }
}
