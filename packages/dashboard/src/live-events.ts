/**
 * The one live connection of the page (GET /admin/v1/events, with the session cookie): screens
 * subscribe to an event type and are told when the stream (re)connects, so they can read their
 * lists again after a gap. Opened for the first subscriber, closed after the last.
 */
type Listener = (data: unknown) => void

let source: EventSource | null = null
const listeners = new Map<string, Set<Listener>>()
const reconnectListeners = new Set<() => void>()
let everOpened = false

function count(): number {
  let n = reconnectListeners.size
  for (const set of listeners.values()) n += set.size
  return n
}

function connect(): void {
  if (source !== null) return
  everOpened = false
  source = new EventSource('/admin/v1/events')
  source.addEventListener('open', () => {
    // The first open is the screen's own load; a later one follows a gap that may have lost events.
    if (everOpened) for (const listener of reconnectListeners) listener()
    everOpened = true
  })
  for (const type of ['message', 'failure', 'alert']) {
    source.addEventListener(type, (event) => {
      let data: unknown
      try {
        data = JSON.parse((event as MessageEvent<string>).data)
      } catch {
        return
      }
      for (const listener of listeners.get(type) ?? []) listener(data)
    })
  }
}

function release(): void {
  if (count() > 0 || source === null) return
  source.close()
  source = null
}

/** Calls `listener` with each live event of this type; returns the way to stop. */
export function onLiveEvent<T>(type: 'message' | 'failure' | 'alert', listener: (data: T) => void): () => void {
  const set = listeners.get(type) ?? new Set<Listener>()
  listeners.set(type, set)
  const wrapped: Listener = (data) => listener(data as T)
  set.add(wrapped)
  connect()
  return () => {
    set.delete(wrapped)
    release()
  }
}

/** Calls `listener` after the stream reconnects (events may have been missed meanwhile). */
export function onLiveReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener)
  connect()
  return () => {
    reconnectListeners.delete(listener)
    release()
  }
}

/**
 * Stops the listeners when the screen that made them is replaced: `main` is swapped out by the
 * router, so a screen ties its subscriptions to the element it draws into.
 */
export function whileShown(element: HTMLElement, stops: (() => void)[]): void {
  const observer = new MutationObserver(() => {
    if (element.isConnected) return
    observer.disconnect()
    for (const stop of stops) stop()
  })
  observer.observe(document.body, { childList: true, subtree: true })
}

/** Closes the connection (signing out). */
export function closeLiveEvents(): void {
  listeners.clear()
  reconnectListeners.clear()
  source?.close()
  source = null
}
