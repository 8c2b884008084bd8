import type { IncomingMessage } from 'node:http'
import { VerityError } from '../errors/verity-error.js'

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

  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw tooLarge(limit)
    chunks.push(chunk)
  }
  if (size === 0) return undefined
  const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw new VerityError('invalid_request', 'The body is not valid JSON.')
  }
}

function tooLarge(limit: number): VerityError {
  return new VerityError('payload_too_large', `The request body is larger than ${limit / 1024} KiB.`)
}
