/** One Server-Sent Event. */
export interface SseEvent {
  /** The `event:` field; `message` when there was none. */
  type: string
  data: string
  /** The last `id:` seen on the stream so far (the Last-Event-ID to resume from). */
  id: string | undefined
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules): feed it decoded text in chunks
 * of any size. At the end of each block it calls `onId` with the last event id so far (a block
 * with an id and no data moves the resume position too), then `onEvent` if the block had data;
 * `onRetry` gets a `retry:` field.
 */
export function createSseParser(onEvent: (event: SseEvent) => void, onRetry: (ms: number) => void, onId: (id: string | undefined) => void): (chunk: string) => void {
  let buffer = ''
  let data: string[] = []
  let type = ''
  let id: string | undefined
  let first = true
  return (chunk) => {
    buffer += chunk
    if (first && buffer) {
      first = false
      if (buffer[0] === '\uFEFF') buffer = buffer.slice(1)
    }
    // A CR at the very end may be the first half of CRLF: keep it until the next chunk.
    const lines = buffer.split(/\r\n|\n|\r(?!$)/)
    buffer = lines.pop()!
    for (const line of lines) {
      if (line === '') {
        onId(id)
        if (data.length) onEvent({ type: type || 'message', data: data.join('\n'), id })
        data = []
        type = ''
        continue
      }
      const colon = line.indexOf(':')
      if (colon === 0) continue
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value[0] === ' ') value = value.slice(1)
      if (field === 'data') data.push(value)
      else if (field === 'event') type = value
      else if (field === 'id' && !value.includes('\0')) id = value
      else if (field === 'retry' && /^\d+$/.test(value)) onRetry(+value)
    }
  }
}
