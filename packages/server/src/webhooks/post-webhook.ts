import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { LookupFunction } from 'node:net'
import { isPrivateAddress } from './webhook-address.js'

export interface PostOptions {
  readonly timeoutMs: number
  /** Development only: loopback and private addresses may be reached. */
  readonly allowPrivate: boolean
}

export type PostResult = { readonly status: number } | { readonly error: string }

/** Bytes of a receiver's answer read at most; the rest is discarded (only the status matters). */
const MAX_RESPONSE_BYTES = 4_096

/**
 * The address check runs on the resolved address of each connection, so a name that resolves to a
 * private address (at creation or later) is refused too.
 */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0)
      const list = addresses as unknown as LookupAddress[]
      const allowed = allowPrivate ? list : list.filter((a) => !isPrivateAddress(a.address))
      if (allowed.length === 0) return callback(Object.assign(new Error(`${hostname} resolves only to private addresses`), { code: 'EPRIVATE' }), '', 0)
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed)
      callback(null, allowed[0]!.address, allowed[0]!.family)
    })
  }
}

/**
 * POSTs one signed event. Redirects are not followed (a 3xx is a failed attempt), the whole
 * exchange is bounded by `timeoutMs`, and at most a few KiB of the answer are read.
 */
export function postWebhook(url: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostResult> {
  return new Promise((resolve) => {
    const target = new URL(url)
    const literal = target.hostname.replace(/^\[|\]$/g, '')
    // Checked again here: the setting may have changed since the webhook was created.
    if (!options.allowPrivate && (target.protocol !== 'https:' || isPrivateAddress(literal))) return resolve({ error: 'refused: http or a private address' })
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    let settled = false
    const finish = (result: PostResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      resolve(result)
    }
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Verity-Webhooks/1' },
        lookup: guardedLookup(options.allowPrivate),
        agent: false,
      },
      (res) => {
        let read = 0
        res.on('data', (chunk: Buffer) => {
          read += chunk.length
          if (read >= MAX_RESPONSE_BYTES) finish({ status: res.statusCode ?? 0 })
        })
        res.on('end', () => finish({ status: res.statusCode ?? 0 }))
        res.on('error', () => finish({ status: res.statusCode ?? 0 }))
      },
    )
    const timer = setTimeout(() => finish({ error: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs)
    req.on('error', (error: NodeJS.ErrnoException) => finish({ error: describeError(error) }))
    req.end(body)
  })
}

const KNOWN_ERRORS: Readonly<Record<string, string>> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  EPRIVATE: 'the host name resolves only to loopback or private addresses',
}

/** A sentence for the delivery log, with the system's code to search for. */
function describeError(error: NodeJS.ErrnoException): string {
  const known = error.code ? KNOWN_ERRORS[error.code] : undefined
  if (known) return `${known} (${error.code})`
  return error.code ?? (error.message.slice(0, 200) || 'the request failed')
}
