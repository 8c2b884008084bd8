import http from 'node:http'

export interface Reply {
  /** 0 when no HTTP answer came (the connection failed); `code` then names the socket error. */
  readonly status: number
  /** The error code of a `{"error": {"code"}}` body, or the socket error's code. */
  readonly code: string | null
  readonly body: unknown
}

export interface RequestOptions {
  readonly token?: string
  /** The simulated client's address, passed on as a trusted proxy would. */
  readonly address?: string
  readonly body?: unknown
  readonly headers?: Readonly<Record<string, string>>
}

/**
 * Plain node:http with keep-alive connections, at most `maxSockets` at once: cheaper per request
 * than fetch, so the load generator is less often the limit on two cores.
 */
export class HttpClient {
  readonly #agent: http.Agent
  readonly #host: string
  readonly #port: number

  constructor(base: URL, maxSockets: number) {
    this.#agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets })
    this.#host = base.hostname
    this.#port = Number(base.port)
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers }
    let payload: string | undefined
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(payload))
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.address) headers['x-forwarded-for'] = options.address
    return new Promise((resolve) => {
      const req = http.request({ agent: this.#agent, host: this.#host, port: this.#port, method, path, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => {
          let body: unknown = undefined
          const text = Buffer.concat(chunks).toString('utf8')
          try {
            body = text ? JSON.parse(text) : undefined
          } catch {
            body = text
          }
          resolve({ status: res.statusCode ?? 0, code: errorCode(body), body })
        })
        res.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, code: error.code ?? 'response_error', body: undefined }))
      })
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: 0, code: error.code ?? 'request_error', body: undefined }))
      req.end(payload)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}

function errorCode(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || !('error' in body)) return null
  const error = (body as { error: unknown }).error
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : null
}
