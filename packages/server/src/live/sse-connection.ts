import type { ServerResponse } from 'node:http'

/** Bytes one stream may have queued (in the socket and waiting behind a replay); past it, the connection is destroyed. */
export const MAX_QUEUED_BYTES = 256 * 1024
/** What chunked encoding adds to each write (size line and CRLFs), counted against the bound. */
const CHUNK_OVERHEAD = 16
/** After a graceful end, a client that does not take the last bytes is cut off this much later. */
const END_GRACE_MS = 1_000
/** EventSource reconnects after this long when the connection drops. */
export const RETRY_MS = 2_000
/** A comment line: keeps proxies from closing an idle connection. */
export const HEARTBEAT = ':\n\n'

export interface SseConnectionOptions {
  /** The connection is gone (once): its memory is free, its place may be given back. */
  readonly onGone: () => void
  /** The client fell more than MAX_QUEUED_BYTES behind and was cut off. */
  readonly onDropped: () => void
}

/** The headers of every event stream. */
export function writeStreamHead(res: ServerResponse, requestId: string, extra: Readonly<Record<string, string>> = {}): void {
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
    'X-Content-Type-Options': 'nosniff',
    'X-Request-Id': requestId,
    ...extra,
  })
}

/**
 * One Server-Sent Events connection and what it may queue: a client that does not read is cut off
 * rather than buffered for. Ends cleanly (the client reconnects) or is dropped at once.
 */
export class SseConnection {
  protected readonly res: ServerResponse
  readonly #onGone: () => void
  readonly #onDropped: () => void
  #state: 'open' | 'ending' | 'gone' = 'open'
  #graceTimer: NodeJS.Timeout | null = null

  constructor(res: ServerResponse, options: SseConnectionOptions) {
    this.res = res
    this.#onGone = options.onGone
    this.#onDropped = options.onDropped
    this.res.on('close', () => this.#gone())
  }

  /** Still taking events (not ending, not gone). */
  get isOpen(): boolean {
    return this.#state === 'open'
  }

  get queuedBytes(): number {
    return this.#state === 'gone' ? 0 : this.res.writableLength + this.heldBytes()
  }

  /** Bytes held for the client beside the socket's queue (a subclass's waiting events). */
  protected heldBytes(): number {
    return 0
  }

  /** Runs once when the stream stops taking events (ended, dropped, or the client left). */
  protected stopped(): void {}

  /** Writes, or destroys the connection when this would queue more than MAX_QUEUED_BYTES. */
  send(frame: Buffer | string): void {
    if (this.#state !== 'open' || this.res.destroyed) return
    const bytes = (typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length) + CHUNK_OVERHEAD
    if (this.queuedBytes + bytes > MAX_QUEUED_BYTES) this.drop()
    else this.res.write(frame)
  }

  /** Ends the stream cleanly (the client reconnects); a client that does not take the end is cut off. */
  end(): void {
    if (this.#state !== 'open') return
    this.#stop()
    this.res.end()
    this.#graceTimer = setTimeout(() => this.res.destroy(), END_GRACE_MS)
    this.#graceTimer.unref()
  }

  /** Destroys the connection at once, with whatever it had queued. */
  drop(): void {
    if (this.#state !== 'open') return
    this.#stop()
    this.#onDropped()
    this.res.destroy()
  }

  #stop(): void {
    this.#state = 'ending'
    this.stopped()
  }

  #gone(): void {
    if (this.#state === 'gone') return
    if (this.#state === 'open') this.#stop()
    this.#state = 'gone'
    if (this.#graceTimer) clearTimeout(this.#graceTimer)
    this.#onGone()
  }
}
