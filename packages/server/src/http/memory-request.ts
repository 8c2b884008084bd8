import { IncomingMessage, ServerResponse, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { Socket } from 'node:net'

export interface MemoryReply {
  readonly status: number
  readonly headers: OutgoingHttpHeaders
  readonly text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown
}

export interface MemoryRequest {
  readonly headers?: Readonly<Record<string, string>>
  /** A string is sent as is; anything else as JSON (with its content type, unless given). */
  readonly body?: unknown
  /** The client's address as the socket would say it. */
  readonly remoteAddress?: string
}

/** A response that keeps what is written in memory instead of writing to a socket. */
class MemoryResponse extends ServerResponse {
  readonly chunks: Buffer[] = []
  readonly done: Promise<void>
  #finish!: () => void

  constructor(req: IncomingMessage) {
    super(req)
    this.done = new Promise((resolve) => (this.#finish = resolve))
  }

  override writeHead(status: number, ...rest: unknown[]): this {
    this.statusCode = status
    const headers = rest.find((arg) => typeof arg === 'object' && arg !== null) as OutgoingHttpHeaders | readonly string[] | undefined
    if (Array.isArray(headers)) {
      // A flat list: name, value, name, value.
      for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(headers[i] as string, headers[i + 1] as string)
    } else {
      for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) this.setHeader(name, value)
    }
    return this
  }

  override write(chunk: unknown, ...rest: unknown[]): boolean {
    if (chunk !== undefined && chunk !== null) this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8'))
    return true
  }

  override end(chunk?: unknown, ...rest: unknown[]): this {
    if (typeof chunk !== 'function' && chunk !== undefined && chunk !== null) this.write(chunk, ...rest)
    this.#finish()
    return this
  }
}

/**
 * Runs one request through a Node request handler without a socket or a port: the whole pipeline
 * (routing, authentication, validation, limits, the reply) as a client would see it, for tests.
 * Streams that never end (Server-Sent Events) are not for this.
 */
export async function requestInMemory(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  method: string,
  path: string,
  request: MemoryRequest = {},
): Promise<MemoryReply> {
  const socket = new Socket()
  Object.defineProperty(socket, 'remoteAddress', { value: request.remoteAddress ?? '127.0.0.1' })
  const req = new IncomingMessage(socket)
  req.method = method
  req.url = path
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body)
  const headers: IncomingHttpHeaders = { host: 'verity.test' }
  if (body !== undefined && typeof request.body !== 'string') headers['content-type'] = 'application/json'
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value
  req.headers = headers
  if (body !== undefined) req.push(body)
  req.push(null)
  const res = new MemoryResponse(req)
  await handler(req, res)
  await res.done
  const text = Buffer.concat(res.chunks).toString('utf8')
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.statusCode, headers: res.getHeaders(), text, json }
}
