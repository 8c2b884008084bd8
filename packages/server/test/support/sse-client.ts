export interface SseEvent {
  readonly id: string | undefined
  readonly event: string
  readonly data: string
}

export interface EventStreamClient {
  readonly status: number
  readonly headers: Headers
  /** The JSON error body when the server refused the stream. */
  readonly error: any
  readonly events: SseEvent[]
  /** Comment lines seen (heartbeats and the greeting). */
  readonly comments: number
  /** Resolves with the first event (already received or to come) that matches, or rejects after `timeoutMs`. */
  next(predicate?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  close(): void
}

/** A minimal Server-Sent Events reader over fetch (EventSource cannot send an Authorization header). */
export async function openEventStream(
  baseUrl: string,
  options: { token?: string; lastEventId?: string; query?: string; path?: string; headers?: Record<string, string> } = {},
): Promise<EventStreamClient> {
  const controller = new AbortController()
  const headers: Record<string, string> = { accept: 'text/event-stream', ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId
  const res = await fetch(`${baseUrl}${options.path ?? '/v1/messenger/events'}${options.query ?? ''}`, { headers, signal: controller.signal })
  const events: SseEvent[] = []
  const waiters = new Set<() => void>()
  let comments = 0
  let error: any = null
  let isEnded = res.status !== 200
  let ended: Promise<void> = Promise.resolve()

  if (res.status !== 200) {
    error = await res.json().catch(() => null)
  } else {
    ended = (async () => {
      const reader = res.body!.getReader()
      const decoder = new TextDecoder()
      let buffer = ''
      let current: { id?: string; event?: string; data: string[] } = { data: [] }
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          buffer += decoder.decode(value, { stream: true })
          let newline: number
          while ((newline = buffer.indexOf('\n')) !== -1) {
            const line = buffer.slice(0, newline).replace(/\r$/, '')
            buffer = buffer.slice(newline + 1)
            if (line === '') {
              if (current.data.length > 0) {
                events.push({ id: current.id, event: current.event ?? 'message', data: current.data.join('\n') })
                for (const wake of [...waiters]) wake()
              }
              current = { data: [] }
            } else if (line.startsWith(':')) {
              comments++
            } else {
              const colon = line.indexOf(':')
              const field = colon === -1 ? line : line.slice(0, colon)
              const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '')
              if (field === 'id') current.id = value
              else if (field === 'event') current.event = value
              else if (field === 'data') current.data.push(value)
            }
          }
        }
      } catch {
        // aborted by close()
      }
      isEnded = true
      for (const wake of [...waiters]) wake()
    })()
  }

  return {
    status: res.status,
    headers: res.headers,
    error,
    events,
    get comments() {
      return comments
    },
    ended,
    next(predicate = () => true, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.find(predicate)
          if (found) {
            cleanup()
            resolve(found)
            return true
          }
          if (isEnded) {
            cleanup()
            reject(new Error(`the stream ended without the event; got ${JSON.stringify(events)}`))
            return true
          }
          return false
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events)}`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          waiters.delete(wake)
        }
        const wake = (): void => void check()
        if (!check()) waiters.add(wake)
      })
    },
    close() {
      controller.abort()
    },
  }
}
