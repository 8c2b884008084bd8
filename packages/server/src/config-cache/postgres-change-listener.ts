import pg from 'pg'
import type { Logger } from 'pino'

export interface PostgresChangeListenerOptions {
  readonly url: string
  readonly logger: Logger
  /** How long one connection attempt may take. */
  readonly connectTimeoutMs: number
  /**
   * After every (re)connection, once LISTEN is in place. Notifications sent while the listener was
   * away are lost, so the caller catches up here (the config cache refreshes).
   */
  readonly onConnect?: () => void
  /** A connection failed or dropped (metrics). */
  readonly onError?: (error: unknown) => void
  /** Reconnection delay: starts at min, doubles up to max. */
  readonly retryMinMs?: number
  readonly retryMaxMs?: number
  /** A `SELECT 1` on the listening connection this often, to find a connection that died silently. */
  readonly heartbeatMs?: number
}

type Handler = (payload: string | undefined) => void

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/
/** How the LISTEN connection shows in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'verity-listener'

/**
 * One dedicated PostgreSQL connection (outside the pool) that LISTENs on a few channels and calls
 * their handlers on NOTIFY. It reconnects, with backoff, whenever the connection fails, drops or
 * stops answering its heartbeat. It never throws: the periodic checks of its users are the safety
 * net while it is away.
 */
export class PostgresChangeListener {
  readonly #options: PostgresChangeListenerOptions
  readonly #handlers = new Map<string, Handler[]>()
  #client: pg.Client | null = null
  #connected = false
  #stopped = false
  #retryTimer: NodeJS.Timeout | null = null
  #heartbeatTimer: NodeJS.Timeout | null = null
  #delay: number
  #connecting: Promise<void> | null = null
  #reconnects = 0
  #everConnected = false

  constructor(options: PostgresChangeListenerOptions) {
    this.#options = options
    this.#delay = options.retryMinMs ?? 100
  }

  /** True while LISTEN is in place on a live connection. */
  get connected(): boolean {
    return this.#connected
  }

  /** Successful connections after the first (metrics, tests). */
  get reconnects(): number {
    return this.#reconnects
  }

  /** Registers a handler, before or after start(); every (re)connection LISTENs on all channels. */
  subscribe(channel: string, handler: Handler): void {
    if (!CHANNEL.test(channel)) throw new TypeError(`invalid channel name: ${channel}`)
    const list = this.#handlers.get(channel)
    if (list) {
      list.push(handler)
      return
    }
    this.#handlers.set(channel, [handler])
    const client = this.#client
    if (client && this.#connected) {
      client.query(`LISTEN "${channel}"`).catch((error: unknown) => this.#drop(client, error))
    }
  }

  /** Connects once; on failure, keeps retrying in the background. Resolves either way. */
  start(): Promise<void> {
    this.#stopped = false
    return this.#connect()
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#retryTimer) clearTimeout(this.#retryTimer)
    this.#retryTimer = null
    this.#stopHeartbeat()
    await this.#connecting?.catch(() => {})
    const client = this.#client
    this.#client = null
    this.#connected = false
    if (client) await client.end().catch(() => {})
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#attempt().finally(() => {
      this.#connecting = null
    })
    return this.#connecting
  }

  async #attempt(): Promise<void> {
    const { url, connectTimeoutMs, logger } = this.#options
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, keepAlive: true, application_name: LISTENER_APPLICATION_NAME })
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (error) => this.#drop(client, error))
    client.on('end', () => this.#drop(client, new Error('the listening connection ended')))
    client.on('notification', (message) => {
      for (const handler of this.#handlers.get(message.channel) ?? []) {
        try {
          handler(message.payload)
        } catch (error) {
          logger.error({ err: error, channel: message.channel }, 'a NOTIFY handler failed')
        }
      }
    })
    try {
      await client.connect()
      for (const channel of this.#handlers.keys()) await client.query(`LISTEN "${channel}"`)
    } catch (error) {
      client.removeAllListeners('end')
      client.on('error', () => {})
      await client.end().catch(() => {})
      this.#drop(client, error)
      return
    }
    if (this.#stopped) {
      await client.end().catch(() => {})
      return
    }
    const reconnect = this.#everConnected
    this.#everConnected = true
    if (reconnect) this.#reconnects++
    this.#client = client
    this.#connected = true
    this.#delay = this.#options.retryMinMs ?? 100
    this.#startHeartbeat(client)
    logger.info({ channels: [...this.#handlers.keys()], reconnect }, 'listening for configuration changes')
    this.#options.onConnect?.()
  }

  /** The connection failed: forget it and try again later. Idempotent per client. */
  #drop(client: pg.Client, error: unknown): void {
    if (this.#client !== null && this.#client !== client) return
    const wasConnected = this.#client === client && this.#connected
    if (this.#client === client) {
      this.#client = null
      this.#connected = false
      this.#stopHeartbeat()
      client.removeAllListeners('end')
      client.on('error', () => {})
      void client.end().catch(() => {})
    }
    if (this.#stopped || this.#retryTimer) return
    this.#options.onError?.(error)
    const level = wasConnected ? 'warn' : 'debug'
    this.#options.logger[level]({ err: error, retryInMs: this.#delay }, 'the NOTIFY listener lost its database connection; reconnecting')
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null
      void this.#connect()
    }, this.#delay)
    this.#retryTimer.unref()
    this.#delay = Math.min(this.#delay * 2, this.#options.retryMaxMs ?? 2_000)
  }

  #startHeartbeat(client: pg.Client): void {
    const every = this.#options.heartbeatMs ?? 10_000
    this.#heartbeatTimer = setInterval(() => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the listening connection did not answer its heartbeat')), Math.max(1_000, every / 2))
      })
      Promise.race([client.query('SELECT 1'), timeout])
        .catch((error: unknown) => {
          // A half-open connection: cut it so that end/error fire, and reconnect.
          ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
          this.#drop(client, error)
        })
        .finally(() => clearTimeout(timer))
    }, every)
    this.#heartbeatTimer.unref()
  }

  #stopHeartbeat(): void {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer)
    this.#heartbeatTimer = null
  }
}
