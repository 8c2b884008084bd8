import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'

/** Why a bounded GET gave up; the message says it to an admin, without the body. */
export class BoundedGetError extends Error {
  readonly reason: 'scheme' | 'address' | 'redirects' | 'status' | 'size' | 'timeout' | 'network'
  constructor(reason: BoundedGetError['reason'], message: string) {
    super(message)
    this.name = 'BoundedGetError'
    this.reason = reason
  }
}

export interface BoundedGetOptions {
  /** Largest body read, in bytes; a longer one is refused, not truncated. */
  readonly maxBytes: number
  /** For the whole exchange, redirects included. */
  readonly timeoutMs: number
  readonly maxRedirects: number
  /** http:// as well as https:// (development only). */
  readonly allowHttp: boolean
  /** Which resolved addresses may be connected to; isPublicAddress unless development allows all. */
  readonly isAllowedAddress: (address: string) => boolean
}

export interface BoundedGetResult {
  readonly body: Buffer
  readonly headers: IncomingMessage['headers']
  /** The URL that answered, after redirects. */
  readonly url: string
}

/**
 * The scheme and literal-address rules for a URL, before any connection: what registration checks
 * and what every redirect is checked against again. Null when acceptable. A name (localhost
 * included) is judged by what it resolves to, at connection time.
 */
export function urlProblem(url: URL, options: Pick<BoundedGetOptions, 'allowHttp' | 'isAllowedAddress'>): string | null {
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) {
    return options.allowHttp ? 'the URL must start with https:// or http://' : 'the URL must start with https:// (http:// only with VERITY_JWKS_ALLOW_HTTP=1, for development)'
  }
  if (url.username !== '' || url.password !== '') return 'the URL must not carry a user name or password'
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (isIP(host) !== 0 && !options.isAllowedAddress(host)) return `the address ${host} is loopback, link-local, private or reserved`
  return null
}

/**
 * GET with every bound a fetch of an admin-supplied URL needs: time for the whole exchange, body
 * size, a few redirects each checked as the first URL was, and a DNS lookup whose every answer
 * must be an allowed address. The address checked is the address connected to (the lookup hands
 * it to the socket), so a name that resolves differently the second time gains nothing.
 */
export async function boundedGet(target: string, options: BoundedGetOptions): Promise<BoundedGetResult> {
  const deadline = AbortSignal.timeout(options.timeoutMs)
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new BoundedGetError('scheme', 'not a URL')
  }
  for (let redirects = 0; ; redirects++) {
    const problem = urlProblem(url, options)
    if (problem) throw new BoundedGetError(problem.startsWith('the address') ? 'address' : 'scheme', problem)
    const response = await send(url, options, deadline)
    const status = response.statusCode ?? 0
    if ([301, 302, 303, 307, 308].includes(status)) {
      response.resume()
      const location = response.headers.location
      if (!location) throw new BoundedGetError('status', `HTTP ${status} without a Location`)
      if (redirects >= options.maxRedirects) throw new BoundedGetError('redirects', `more than ${options.maxRedirects} redirects`)
      url = new URL(location, url)
      continue
    }
    if (status !== 200) {
      response.resume()
      throw new BoundedGetError('status', `HTTP ${status}`)
    }
    const body = await readBody(response, options.maxBytes, deadline)
    return { body, headers: response.headers, url: url.href }
  }
}

function send(url: URL, options: BoundedGetOptions, deadline: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (deadline.aborted) return reject(timedOut(options))
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json', 'user-agent': 'verity-jwks' },
      lookup: checkedLookup(options.isAllowedAddress),
      signal: deadline,
      agent: false,
    })
    request.once('response', resolve)
    request.once('error', (error: Error) => {
      if (error instanceof BoundedGetError) return reject(error)
      if (deadline.aborted) return reject(timedOut(options))
      reject(new BoundedGetError('network', error.message))
    })
    request.end()
  })
}

function timedOut(options: BoundedGetOptions): BoundedGetError {
  return new BoundedGetError('timeout', `no complete answer within ${options.timeoutMs} ms`)
}

function checkedLookup(isAllowed: (address: string) => boolean): LookupFunction {
  return (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0)
      // Every answer is checked: a name with one public and one private address is refused.
      const refused = addresses.find((a) => !isAllowed(a.address))
      if (refused || addresses.length === 0) {
        const address = refused?.address ?? 'nothing'
        return callback(new BoundedGetError('address', `${hostname} resolves to ${address}, which is loopback, link-local, private or reserved`) as NodeJS.ErrnoException, '', 0)
      }
      if ((lookupOptions as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      callback(null, addresses[0]!.address, addresses[0]!.family)
    })
  }
}

function readBody(response: IncomingMessage, maxBytes: number, deadline: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(response.headers['content-length'])
    if (Number.isFinite(declared) && declared > maxBytes) {
      reject(new BoundedGetError('size', `the body is larger than ${maxBytes} bytes`))
      response.destroy()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    response.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        // Rejected before the socket is destroyed: the close that follows must not be the reason.
        reject(new BoundedGetError('size', `the body is larger than ${maxBytes} bytes`))
        response.destroy()
        return
      }
      chunks.push(chunk)
    })
    response.once('end', () => resolve(Buffer.concat(chunks)))
    response.once('error', (error) => reject(deadline.aborted ? new BoundedGetError('timeout', 'the answer did not complete in time') : new BoundedGetError('network', error.message)))
    response.once('aborted', () => reject(new BoundedGetError('network', 'the connection closed early')))
  })
}
