import type { IncomingMessage } from 'node:http'
import { VerityError } from '../errors/verity-error.js'

/**
 * The client hung up before its body arrived. Its own kind, so that the socket's ECONNRESET is
 * never taken for the database's (a 503, a storage error logged and counted).
 */
export class ClientClosedError extends Error {
  constructor(cause: unknown) {
    super('The client closed the request before its body ended.', { cause })
    this.name = 'ClientClosedError'
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

/**
 * Reads a JSON body within `limit` bytes. Order matters and is part of the contract: size first
 * (413, from Content-Length before reading, or while reading), then the media type (415), then
 * the syntax (400). A request with no body at all yields undefined and needs no content type.
 */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = req.headers['content-length']
  const chunked = req.headers['transfer-encoding'] !== undefined
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit)
  if (!chunked && (declared === undefined || declared === '0')) return undefined
  const type = req.headers['content-type']
  if (type === undefined || !JSON_TYPE.test(type)) throw new VerityError('unsupported_media_type')

  const body = await readBody(req, limit)
  if (body === null) return undefined
  const text = body.toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw new VerityError('invalid_request', 'The body is not valid JSON.')
  }
}

/**
 * The body's bytes, or null when empty; 413 as soon as it grows past the limit. Plain events rather
 * than an async iterator: this runs on every auth, and the iterator's promises and objects cost more
 * than the read itself.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > limit) {
        // The rest is not read: the reply says Connection: close (see handle-request).
        done()
        reject(tooLarge(limit))
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      done()
      resolve(size === 0 ? null : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size))
    }
    // A request stream fails only when its socket does: the client went away.
    const onError = (error: Error): void => {
      done()
      reject(new ClientClosedError(error))
    }
    const onClose = (): void => {
      done()
      reject(new ClientClosedError(null))
    }
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onError)
    req.on('close', onClose)
  })
}

function tooLarge(limit: number): VerityError {
  return new VerityError('payload_too_large', `The request body is larger than ${limit / 1024} KiB.`)
}
