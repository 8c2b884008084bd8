import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from 'pino'
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/error-catalogue.js'

/** What Node's HTTP parser refused, as a code of the catalogue (Node's own answer has no body). */
function codeFor(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large'
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'request_timeout'
  return 'invalid_request'
}

/**
 * A request that never became one (a request line or headers over 16 KiB, broken HTTP, too slow to
 * arrive) gets the same JSON error as any other, then the connection closes: its bytes cannot be
 * trusted to end where the next request starts. For the server's `clientError` event.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy()
    return
  }
  const code = codeFor(error)
  const { status } = ERROR_CATALOGUE[code]
  const message = code === 'invalid_request' ? 'The request is not valid HTTP.' : ERROR_CATALOGUE[code].message
  const json = JSON.stringify({ error: { code, message } })
  logger.debug({ code: error.code, status }, 'refused a request the HTTP parser could not read')
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  )
}
