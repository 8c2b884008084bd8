import { errorFrom, send, type Fetch } from './http.js'
import { createSseParser, type SseEvent } from './parse-sse.js'
import type { Session } from './session.js'
import { toCamelCase } from './to-camel-case.js'
import type { MessageListener } from './types.js'
import { VerityError } from './verity-error.js'

/** The live connection behind `onMessage`. */
export interface LiveMessages {
  /** Adds a listener (opening the connection if there is a session); returns its remover. */
  add(listener: MessageListener): () => void
  /** The session's user changed or ended: close, forget the position, reopen for the new session. */
  restart(): void
}

const MAX_DELAY_MS = 30_000
const NO_STREAMING = 'streaming_unsupported'
/** Verity writes a heartbeat every 15 s: this long without a byte means the connection is dead. */
const IDLE_MS = 45_000

/**
 * `GET /v1/messenger/events` read as Server-Sent Events over `fetch` (EventSource cannot send an
 * Authorization header). Reconnects with exponential backoff and jitter, resuming with
 * `Last-Event-ID`; renews an expired access token once per attempt; never delivers a message twice.
 */
export function createLiveMessages(baseUrl: string, fetchImpl: Fetch, session: Session): LiveMessages {
  const url = `${baseUrl.replace(/\/+$/, '')}/v1/messenger/events`
  const listeners = new Set<MessageListener>()
  let controller: AbortController | null = null
  let lastEventId: string | undefined
  let seen: string[] = []

  const close = (): void => {
    controller?.abort()
    controller = null
  }

  const open = (): void => {
    if (controller || !listeners.size || !session.token) return
    const current = (controller = new AbortController())
    void connect(current.signal).finally(() => {
      if (controller === current) controller = null
    })
  }

  const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
    })

  function dispatch(event: SseEvent, signal: AbortSignal): void {
    if (signal.aborted) return
    let payload: any
    try {
      payload = JSON.parse(event.data)
    } catch {
      return
    }
    const message = payload?.message
    const conversationId = payload?.conversation_id ?? message?.conversation_id
    if (typeof message?.id !== 'string' || typeof conversationId !== 'string' || seen.includes(message.id)) return
    seen.push(message.id)
    if (seen.length > 500) seen = seen.slice(-250)
    for (const listener of [...listeners]) {
      try {
        listener(toCamelCase(message), conversationId)
      } catch (error) {
        // The app's bug must not end the stream; let it surface as an uncaught error.
        setTimeout(() => {
          throw error
        })
      }
    }
  }

  /**
   * One connection, read until it ends. Resolves with the 401 when it was refused for its token
   * (so the caller renews it), with undefined when it ended; throws when it failed. Aborted by `signal`, or when
   * the heartbeats stop: a connection that died without a word.
   */
  async function readStream(token: string, signal: AbortSignal, onRetry: (ms: number) => void): Promise<VerityError | undefined> {
    const attempt = new AbortController()
    const abort = (): void => attempt.abort()
    signal.addEventListener('abort', abort)
    let idle = setTimeout(abort, IDLE_MS)
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${token}` }
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
      const response = await send(fetchImpl, url, { headers, signal: attempt.signal })
      if (response.status === 401) return await errorFrom(response)
      if (!response.ok) throw await errorFrom(response)
      const reader = response.body?.getReader()
      if (!reader) throw new VerityError(NO_STREAMING, 'this fetch cannot stream responses (on React Native, pass createMessenger({ fetch }) from expo/fetch)')
      const decoder = new TextDecoder()
      const parse = createSseParser((event) => dispatch(event, signal), onRetry, (id) => {
        if (!signal.aborted) lastEventId = id
      })
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return undefined
        clearTimeout(idle)
        idle = setTimeout(abort, IDLE_MS)
        parse(decoder.decode(value, { stream: true }))
      }
    } finally {
      clearTimeout(idle)
      signal.removeEventListener('abort', abort)
    }
  }

  async function connect(signal: AbortSignal): Promise<void> {
    let failures = 0
    let retryMs = 1000
    let renewed = false
    while (!signal.aborted) {
      const token = session.token
      if (!token) return
      let wait: number | undefined
      try {
        const refused = await readStream(token, signal, (ms) => (retryMs = ms))
        if (refused) {
          // Refused for its token (expired, revoked): renew once, then reconnect at once.
          if (renewed) throw refused
          renewed = true
          await session.renew(token)
          continue
        }
        failures = 0
      } catch (error) {
        if (signal.aborted) return
        // A dropped connection or a server error is retried; a refusal (4xx) would only repeat.
        const { code, status = 0 } = error as VerityError
        if (code === NO_STREAMING || (status >= 400 && status < 500 && status !== 408 && status !== 429)) {
          console.warn(`[verity] onMessage: live messages stopped: ${(error as Error).message}`)
          return
        }
        failures++
        wait = (error as VerityError).retryAfter
      }
      renewed = false
      await sleep(wait ? wait * 1000 : Math.min(MAX_DELAY_MS, retryMs * 2 ** Math.max(0, failures - 1)) * (0.5 + Math.random() / 2), signal)
    }
  }

  return {
    add(listener) {
      listeners.add(listener)
      open()
      return () => {
        listeners.delete(listener)
        if (!listeners.size) close()
      }
    },
    restart() {
      close()
      lastEventId = undefined
      seen = []
      open()
    },
  }
}
