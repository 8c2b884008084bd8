import http from 'node:http'
import type { Mix, Outcome, StreamTarget, StreamTargets } from './mix.js'
import type { Session } from './population.js'

export type StreamKind = 'reader' | 'slow' | 'reconnecting'

export interface StreamSummary {
  readonly streams: number
  readonly byKind: Readonly<Record<StreamKind, number>>
  readonly connects: number
  readonly reconnects: number
  readonly messagesPosted: number
  readonly messagesDelivered: number
  /** Messages posted into a watched conversation that its stream never received (not even on replay). */
  readonly missed: number
  /** Connections the server ended on its own (not at the client's reconnect or token renewal). */
  readonly closedByServer: number
}

type Record_ = (outcome: Outcome, ms: number) => void

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const between = (low: number, high: number) => low + Math.random() * (high - low)

/**
 * One messenger's live connection (GET /v1/messenger/events), read the way EventSource reads it:
 * it keeps the last event id and sends it back as Last-Event-ID when it reconnects. A `slow`
 * reader stops reading for seconds at a time; a `reconnecting` one drops its connection now and
 * then, as phones do when they change networks.
 */
class StreamClient implements StreamTarget {
  readonly kind: StreamKind
  session: Session
  readonly conversationId: string
  readonly #url: URL
  readonly #agent: http.Agent
  readonly #record: Record_
  readonly #renew: () => Promise<Session | null>
  readonly #sent = new Set<string>()
  readonly received = new Set<string>()
  #lastEventId: string | null = null
  #request: http.ClientRequest | null = null
  #response: http.IncomingMessage | null = null
  #stopped = false
  #timers = new Set<NodeJS.Timeout>()
  /** The current connection's planned drop and token renewal (replaced at each connect). */
  #connectionTimers: NodeJS.Timeout[] = []
  connects = 0
  closedByServer = 0

  constructor(kind: StreamKind, session: Session, conversationId: string, url: URL, agent: http.Agent, record: Record_, renew: () => Promise<Session | null>) {
    this.kind = kind
    this.session = session
    this.conversationId = conversationId
    this.#url = url
    this.#agent = agent
    this.#record = record
    this.#renew = renew
  }

  get sent(): number {
    return this.#sent.size
  }

  get missed(): number {
    let missed = 0
    for (const id of this.#sent) if (!this.received.has(id)) missed++
    return missed
  }

  posted(messageId: string): void {
    this.#sent.add(messageId)
  }

  start(): Promise<void> {
    return this.#connect()
  }

  #later(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (!this.#stopped) run()
    }, ms)
    this.#timers.add(timer)
    return timer
  }

  /** Resolves once the server has answered (or failed to). */
  #connect(): Promise<void> {
    const started = performance.now()
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      authorization: `Bearer ${this.session.token}`,
      'x-forwarded-for': this.session.address,
    }
    if (this.#lastEventId !== null) headers['last-event-id'] = this.#lastEventId
    this.connects++
    return new Promise((resolve) => {
      let planned = false
      const req = http.request({ agent: this.#agent, host: this.#url.hostname, port: Number(this.#url.port), path: '/v1/messenger/events', headers }, (res) => {
        const ms = performance.now() - started
        this.#response = res
        if (res.statusCode !== 200) {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => {
            let code: string | null = null
            try {
              code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null
            } catch {
              // not JSON
            }
            this.#record({ op: 'stream_connect', status: res.statusCode ?? 0, code, expected: false }, ms)
            this.#later(2_000, () => void this.#connect())
            resolve()
          })
          return
        }
        this.#record({ op: 'stream_connect', status: 200, code: null, expected: true }, ms)
        resolve()
        this.#read(res)
        if (this.kind === 'slow') this.#stall(res)
        for (const timer of this.#connectionTimers) clearTimeout(timer)
        this.#connectionTimers = []
        if (this.kind === 'reconnecting') {
          const drop = this.#later(between(10_000, 30_000), () => {
            planned = true
            req.destroy()
            this.#later(between(200, 2_000), () => void this.#connect())
          })
          this.#connectionTimers.push(drop)
        }
        // A token is renewed (same person, same device) a couple of minutes before it expires.
        const renewal = this.#later(Math.max(1_000, this.session.expiresAt - Date.now() - 120_000), () => {
          planned = true
          req.destroy()
          void this.#renew().then((session) => {
            if (session) this.session = session
            return this.#connect()
          })
        })
        this.#connectionTimers.push(renewal)
        res.on('close', () => {
          if (this.#stopped || planned) return
          // The server ended it: as EventSource would, reconnect after the retry delay.
          for (const timer of this.#connectionTimers) clearTimeout(timer)
          this.#connectionTimers = []
          this.closedByServer++
          this.#later(2_000, () => void this.#connect())
        })
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (this.#stopped || planned) return resolve()
        if (this.#response === null || this.#request !== req) {
          this.#record({ op: 'stream_connect', status: 0, code: error.code ?? 'request_error', expected: false }, performance.now() - started)
          this.#later(2_000, () => void this.#connect())
        }
        resolve()
      })
      this.#request = req
      this.#response = null
      req.end()
    })
  }

  #read(res: http.IncomingMessage): void {
    let buffer = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        let event = ''
        let data = ''
        for (const line of block.split('\n')) {
          if (line.startsWith('id:')) this.#lastEventId = line.slice(3).trim()
          else if (line.startsWith('event:')) event = line.slice(6).trim()
          else if (line.startsWith('data:')) data += line.slice(5).trim()
        }
        if (event === 'message' && data) {
          const id = (JSON.parse(data) as { message?: { id?: string } }).message?.id
          if (id) this.received.add(id)
        }
      }
    })
  }

  /** Stops reading for 3 to 10 s every 10 to 20 s: the server must queue, within its bound, or cut it off. */
  #stall(res: http.IncomingMessage): void {
    this.#later(between(10_000, 20_000), () => {
      if (res.destroyed) return
      res.pause()
      this.#later(between(3_000, 10_000), () => {
        res.resume()
        this.#stall(res)
      })
    })
  }

  /** Reads whatever is still queued, then hangs up. */
  resume(): void {
    this.#response?.resume()
  }

  stop(): void {
    this.#stopped = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.#request?.destroy()
  }
}

/** The live streams of the soak: a third of them verified users, a third guests, a third anonymous devices. */
export class LiveStreams implements StreamTargets {
  readonly #clients: StreamClient[] = []
  readonly #agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
  readonly #url: URL

  constructor(url: URL) {
    this.#url = url
  }

  /** Each stream's person signs in, starts a conversation, and connects. */
  async start(count: number, mix: Mix, record: Record_): Promise<void> {
    const kinds: StreamKind[] = ['reader', 'reader', 'reader', 'slow', 'reconnecting']
    for (let i = 0; i < count; i++) {
      const kind = kinds[i % kinds.length]!
      const renew = this.#signIn(i, mix)
      const session = await renew()
      if (!session) throw new Error(`stream ${i}: could not sign in`)
      const started = await mix.startConversation(session)
      if (!started.conversationId) throw new Error(`stream ${i}: could not start a conversation (${started.outcome.status} ${started.outcome.code})`)
      const client = new StreamClient(kind, session, started.conversationId, this.#url, this.#agent, record, renew)
      this.#clients.push(client)
      await client.start()
    }
  }

  /** The same person (and device) every time, so a renewed token reads the same conversations. */
  #signIn(i: number, mix: Mix): () => Promise<Session | null> {
    let device: { id: string; address: string } | undefined
    return async () => {
      switch (i % 3) {
        case 0:
          return (await mix.authVerified(i, 'stream')).session
        case 1:
          return (await mix.authUnverified(i, 'stream')).session
        default: {
          const result = await mix.authAnonymous(device, true)
          device ??= result.device ?? undefined
          return result.session
        }
      }
    }
  }

  pickTarget(): StreamTarget | null {
    return this.#clients.length === 0 ? null : this.#clients[Math.floor(Math.random() * this.#clients.length)]!
  }

  /** Lets every reader catch up for `graceMs`, then closes them and counts what never arrived. */
  async stop(graceMs: number): Promise<StreamSummary> {
    for (const client of this.#clients) client.resume()
    await sleep(graceMs)
    for (const client of this.#clients) client.stop()
    this.#agent.destroy()
    const byKind: Record<StreamKind, number> = { reader: 0, slow: 0, reconnecting: 0 }
    let connects = 0
    let posted = 0
    let delivered = 0
    let missed = 0
    let closedByServer = 0
    for (const client of this.#clients) {
      byKind[client.kind]++
      connects += client.connects
      posted += client.sent
      delivered += client.received.size
      missed += client.missed
      closedByServer += client.closedByServer
    }
    return { streams: this.#clients.length, byKind, connects, reconnects: connects - this.#clients.length, messagesPosted: posted, messagesDelivered: delivered, missed, closedByServer }
  }
}
