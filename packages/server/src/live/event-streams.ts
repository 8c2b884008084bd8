import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { canReadConversation, spaceOf, type ConversationSpace } from '../authorization/can-read-conversation.js'
import { idFloor } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import { messageView } from '../services/conversation-views.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import type { MessageFeed } from './message-feed.js'

export const DEFAULT_MAX_STREAMS = 5_000
export const HEARTBEAT_MS = 15_000
/** A reconnecting client gets at most this many missed messages; it can read the rest per conversation. */
export const REPLAY_LIMIT = 1_000
/** A client that reads slower than this much backlog is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 1024 * 1024
/** EventSource reconnects after this long when the connection drops. */
const RETRY_MS = 2_000

export interface EventStreamsOptions {
  readonly feed: MessageFeed
  readonly replay: (space: ConversationSpace, afterId: string, limit: number) => Promise<MessageInSpace[]>
  /** The revocation half of authentication (app deleted, secret revoked), re-checked on each heartbeat. */
  readonly isSessionValid: (session: AccessTokenClaims) => boolean
  readonly logger: Logger
  readonly maxStreams?: number
  readonly heartbeatMs?: number
  readonly now?: () => number
}

interface Stream {
  readonly session: AccessTokenClaims
  readonly res: ServerResponse
  end(): void
}

/**
 * The Server-Sent Events connections of this process: each gets the new messages its session may
 * read (the same rule as every other read), a heartbeat, the messages it missed after a
 * Last-Event-ID, and its end when its token expires or is revoked, when the client goes away, or
 * when the server shuts down. Their number is bounded, so idle connections cannot exhaust a process.
 */
export class EventStreams {
  readonly #options: EventStreamsOptions
  readonly #streams = new Set<Stream>()
  readonly #maxStreams: number
  readonly #now: () => number
  #heartbeat: NodeJS.Timeout | null = null
  #closed = false

  constructor(options: EventStreamsOptions) {
    this.#options = options
    this.#maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS
    this.#now = options.now ?? Date.now
  }

  get size(): number {
    return this.#streams.size
  }

  /**
   * Takes over `res`. Refusals throw before anything is written, so the caller can still answer
   * with an error; after that nothing throws: failures end the stream and the client reconnects.
   */
  open(session: AccessTokenClaims, res: ServerResponse, lastEventId: string | null, requestId: string): void {
    if (this.#closed) throw new VerityError('unavailable', 'The server is shutting down. Reconnect shortly.', { headers: { 'Retry-After': '2' } })
    if (this.#streams.size >= this.#maxStreams) {
      throw new VerityError('unavailable', 'This server holds as many live connections as it may. Retry shortly.', { headers: { 'Retry-After': '5' } })
    }
    const write = (frame: string): void => {
      if (res.writableEnded || res.destroyed) return
      if (res.writableLength > MAX_BUFFERED_BYTES) {
        stream.end()
        return
      }
      res.write(frame)
    }
    const space = spaceOf(session)
    // Until the replay is written, live messages wait here, so the client sees them in order.
    let pending: MessageInSpace[] | null = lastEventId === null ? null : []
    const replayed = new Set<string>()
    const deliver = (item: MessageInSpace): void => {
      if (!canReadConversation(session, item.space) || replayed.has(item.message.id)) return
      if (pending) pending.push(item)
      else write(eventFrame(item))
    }
    const unsubscribe = this.#options.feed.subscribe(deliver)
    const stream: Stream = {
      session,
      res,
      end: () => {
        if (!this.#streams.delete(stream)) return
        unsubscribe()
        if (this.#streams.size === 0) this.#stopHeartbeat()
        if (!res.writableEnded) res.end()
      },
    }
    this.#streams.add(stream)
    res.on('close', stream.end)
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
      'X-Request-Id': requestId,
      'Access-Control-Allow-Origin': '*',
    })
    // A fresh stream gets a resume point at once. Without it, a client whose connection drops
    // before its first message would reconnect with no Last-Event-ID and lose what arrived in
    // between. The point lies a feed look-back before now, so another process's clock skew cannot
    // hide a message behind it; a reconnect may then replay a few seconds early, never miss any.
    const resumeFrom = lastEventId === null ? `id: ${idFloor('msg', this.#now() - this.#options.feed.lookbackMs)}\n` : ''
    write(`retry: ${RETRY_MS}\n${resumeFrom}: connected\n\n`)
    this.#startHeartbeat()

    if (lastEventId === null || space === null) {
      pending = null
      return
    }
    this.#options
      .replay(space, lastEventId, REPLAY_LIMIT)
      .then((missed) => {
        for (const item of missed) {
          replayed.add(item.message.id)
          write(eventFrame(item))
        }
        const waiting = pending ?? []
        pending = null
        for (const item of waiting) if (!replayed.has(item.message.id)) write(eventFrame(item))
      })
      .catch((error: unknown) => {
        this.#options.logger.error({ reqId: requestId, err: error }, 'could not replay missed messages; ending the stream')
        stream.end()
      })
  }

  /** Ends every stream and refuses new ones: called first on shutdown, so draining does not wait on them. */
  closeAll(): void {
    this.#closed = true
    for (const stream of [...this.#streams]) stream.end()
    this.#stopHeartbeat()
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return
    this.#heartbeat = setInterval(() => this.#beat(), this.#options.heartbeatMs ?? HEARTBEAT_MS)
    this.#heartbeat.unref()
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#heartbeat = null
  }

  /** Keeps proxies from closing idle connections, and ends streams whose token no longer holds. */
  #beat(): void {
    const now = this.#now()
    for (const stream of [...this.#streams]) {
      if (stream.session.exp * 1000 <= now || !this.#options.isSessionValid(stream.session)) stream.end()
      else if (!stream.res.writableEnded) stream.res.write(':\n\n')
    }
  }
}

function eventFrame(item: MessageInSpace): string {
  const data = JSON.stringify({ conversation_id: item.message.conversation_id, message: messageView(item.message) })
  return `id: ${item.message.id}\nevent: message\ndata: ${data}\n\n`
}
