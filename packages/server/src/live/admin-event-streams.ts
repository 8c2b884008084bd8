import type { ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import { isAllowed, type AdminAction } from '../authorization/admin-permissions.js'
import { isWithin, type Role } from '../authorization/roles.js'
import { VerityError } from '../errors/verity-error.js'
import { HEARTBEAT, RETRY_MS, SseConnection, writeStreamHead } from './sse-connection.js'
import { StreamSlots, type StreamLimits } from './stream-slots.js'

/** Admin streams one process holds in all, whoever asks. */
export const DEFAULT_MAX_ADMIN_STREAMS = 1_000
/** Admin streams one credential (dashboard session, API token, admin key) may hold: a few tabs. */
export const ADMIN_STREAMS_PER_CREDENTIAL = 5
/** Events waiting for the credential check in front of their delivery; past it, new ones are dropped and counted. */
const MAX_WAITING_EVENTS = 1_000
const HEARTBEAT_MS = 15_000
/** How often every stream's credential is checked again in storage, beside the check before each delivery. */
export const ADMIN_SWEEP_MS = 1_000

/** The credential that opened a stream, and its role then. */
export interface AdminHolder {
  /** One credential: `session:<id>`, `token:<id>` or `key:<digest>`. */
  readonly key: string
  readonly role: Role
}

/** One event for teammates: the action a role must be allowed to receive it, and its bytes (made once, shared by every stream). */
export interface AdminEvent {
  readonly action: AdminAction
  readonly frame: Buffer
}

export interface AdminEventSource {
  subscribe(listener: (event: AdminEvent) => void): () => void
}

export interface AdminEventStreamsOptions {
  readonly sources: readonly AdminEventSource[]
  /**
   * The current role of each credential that still works; a key missing from the answer has ended
   * (signed out, revoked, expired, teammate removed). Asked before every delivery and every sweep,
   * so a stream never outlives its credential on any instance by more than a sweep.
   */
  readonly currentRoles: (keys: readonly string[]) => Promise<ReadonlyMap<string, Role>>
  readonly logger: Logger
  /** Per credential, per client address and in all. */
  readonly limits?: Partial<StreamLimits>
  readonly heartbeatMs?: number
  readonly sweepMs?: number
}

class AdminStream extends SseConnection {
  readonly holder: AdminHolder

  constructor(holder: AdminHolder, res: ServerResponse, callbacks: { onGone: () => void; onDropped: () => void }) {
    super(res, callbacks)
    this.holder = holder
  }
}

/**
 * Teammates' live events (GET /admin/v1/events): new messages from messenger users, new failures
 * and new alerts, each to the streams whose role may read it. Bounded like the messenger's
 * streams (per credential, per client address, per process, 256 KiB queued per stream), and every
 * delivery waits for one batched check that the credentials still hold: a stream whose session
 * ended or whose teammate was removed or demoted is closed and receives nothing more.
 */
export class AdminEventStreams {
  readonly #options: AdminEventStreamsOptions
  readonly #streams = new Set<AdminStream>()
  readonly #slots: StreamSlots
  #unsubscribe: Array<() => void> = []
  #waiting: AdminEvent[] = []
  #pumping = false
  #checking: Promise<boolean> | null = null
  #timer: NodeJS.Timeout | null = null
  #lastBeat = 0
  #dropped = 0
  #failing = false
  #closed = false

  constructor(options: AdminEventStreamsOptions) {
    this.#options = options
    this.#slots = new StreamSlots(
      {
        perSession: options.limits?.perSession ?? ADMIN_STREAMS_PER_CREDENTIAL,
        perClient: options.limits?.perClient ?? 200,
        total: options.limits?.total ?? DEFAULT_MAX_ADMIN_STREAMS,
      },
      'session or token',
    )
  }

  get size(): number {
    return this.#streams.size
  }

  /** Streams cut off for falling behind, plus events dropped while the credential check lagged. */
  get dropped(): number {
    return this.#dropped
  }

  /** Takes over `res`; refusals throw before anything is written. */
  open(holder: AdminHolder, res: ServerResponse, requestId: string, client: string): void {
    if (this.#closed) throw new VerityError('unavailable', 'The server is shutting down. Reconnect shortly.', { headers: { 'Retry-After': '2' } })
    if (res.destroyed) return
    const release = this.#slots.take(holder.key, client)
    const stream = new AdminStream(holder, res, {
      onGone: () => {
        release()
        this.#streams.delete(stream)
        if (this.#streams.size === 0) this.#idle()
      },
      onDropped: () => {
        this.#dropped++
        this.#options.logger.info({ reqId: requestId }, 'an admin live stream fell too far behind; its connection was closed')
      },
    })
    if (this.#streams.size === 0) this.#wake()
    this.#streams.add(stream)
    writeStreamHead(res, requestId)
    stream.send(`retry: ${RETRY_MS}\n: connected\n\n`)
  }

  closeAll(): void {
    this.#closed = true
    for (const stream of [...this.#streams]) stream.end()
  }

  /** Checks every stream's credential now; resolves false when storage could not answer. */
  sweep(): Promise<boolean> {
    return (this.#checking ??= this.#check().finally(() => (this.#checking = null)))
  }

  #wake(): void {
    this.#unsubscribe = this.#options.sources.map((source) => source.subscribe((event) => this.#take(event)))
    this.#lastBeat = Date.now()
    this.#timer = setInterval(() => this.#tick(), this.#options.sweepMs ?? ADMIN_SWEEP_MS)
    this.#timer.unref()
  }

  /** No stream left: the feeds stop polling and nothing waits. */
  #idle(): void {
    for (const stop of this.#unsubscribe) stop()
    this.#unsubscribe = []
    this.#waiting = []
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  #take(event: AdminEvent): void {
    if (this.#waiting.length >= MAX_WAITING_EVENTS) {
      this.#dropped++
      return
    }
    this.#waiting.push(event)
    void this.#pump()
  }

  /** Delivers what waits, a batch at a time, each batch behind one credential check. */
  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      while (this.#waiting.length > 0) {
        // A check that started before these events arrived may have read before a sign-out: wait it out, then check afresh.
        await this.#checking
        const batch = this.#waiting
        this.#waiting = []
        // Storage cannot say whether the credentials still hold: deliver nothing rather than risk it.
        if (!(await this.sweep())) continue
        for (const event of batch) {
          for (const stream of this.#streams) if (stream.isOpen && isAllowed(stream.holder.role, event.action)) stream.send(event.frame)
        }
      }
    } finally {
      this.#pumping = false
    }
  }

  async #check(): Promise<boolean> {
    const open = [...this.#streams].filter((s) => s.isOpen)
    if (open.length === 0) return true
    let roles: ReadonlyMap<string, Role>
    try {
      roles = await this.#options.currentRoles([...new Set(open.map((s) => s.holder.key))])
    } catch (error) {
      if (!this.#failing) this.#options.logger.error({ err: error }, 'cannot check the credentials of admin live streams; holding their events')
      this.#failing = true
      return false
    }
    this.#failing = false
    for (const stream of open) {
      const role = roles.get(stream.holder.key)
      // Ended, or its role now lower than the one it opened with (a demotion): the stream goes.
      if (role === undefined || !isWithin(stream.holder.role, role)) stream.end()
    }
    return true
  }

  #tick(): void {
    void this.sweep()
    const now = Date.now()
    if (now - this.#lastBeat < (this.#options.heartbeatMs ?? HEARTBEAT_MS)) return
    this.#lastBeat = now
    for (const stream of this.#streams) if (stream.isOpen) stream.send(HEARTBEAT)
  }
}
