import { get, type IncomingMessage } from 'node:http'

export interface StalledStream {
  readonly status: number
  /** The JSON error body when the server refused the stream. */
  readonly error: any
  readonly headers: IncomingMessage['headers']
  /** Resolves when the connection is gone (closed by either side). */
  readonly gone: Promise<void>
  /** Starts reading: the body from now on is collected in `text`. */
  read(): void
  /** Everything read since `read()`. */
  readonly text: string
  /** The ids of the `message` events read so far, in order. */
  messageIds(): string[]
  close(): void
}

/**
 * A client of GET /v1/messenger/events that reads the status and headers, then nothing more: the
 * kernel's buffers fill and the server has to queue (or not) what it writes. Its own connection
 * (no agent), so many of them are many connections.
 */
export function openStalledStream(
  baseUrl: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<StalledStream> {
  return new Promise((resolve, reject) => {
    const req = get(`${baseUrl}/v1/messenger/events`, { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...headers } })
    req.on('error', reject)
    req.on('response', (res) => {
      res.pause()
      let text = ''
      const gone = new Promise<void>((done) => {
        res.socket.once('close', () => done())
        res.once('error', () => done())
        req.once('error', () => done())
      })
      const stream: StalledStream = {
        status: res.statusCode ?? 0,
        error: null,
        headers: res.headers,
        gone,
        read() {
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.resume()
        },
        get text() {
          return text
        },
        messageIds() {
          return [...text.matchAll(/^id: (\S+)\nevent: message\n/gm)].map((m) => m[1]!)
        },
        close() {
          req.destroy()
        },
      }
      if (res.statusCode === 200) {
        resolve(stream)
        return
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({ ...stream, error: JSON.parse(text) }))
      res.resume()
    })
  })
}
