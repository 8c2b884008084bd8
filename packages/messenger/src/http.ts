import { isVerityErrorCode } from './error-codes.js'
import { VerityError } from './verity-error.js'

/** The `fetch` the SDK calls: the global one, or the one given to `createMessenger`. */
export type Fetch = typeof fetch

/** The error a non-2xx answer stands for: the API's `{"error": {"code", "message"}}` when it has one. */
export async function errorFrom(response: Response): Promise<VerityError> {
  let error: { code?: unknown; message?: unknown } | undefined
  try {
    error = ((await response.json()) as { error?: typeof error }).error
  } catch {
    // not JSON: a proxy's page, a server that is not Verity
  }
  const retryAfter = Number(response.headers.get('retry-after')) || undefined
  if (typeof error?.code !== 'string') {
    return new VerityError('unexpected_response', `Verity answered ${response.status} without an error body. Is baseUrl right?`, response.status, retryAfter)
  }
  // A newer server may answer with a code this SDK does not know: keep it in the message.
  return isVerityErrorCode(error.code)
    ? new VerityError(error.code, String(error.message ?? error.code), response.status, retryAfter)
    : new VerityError('unexpected_response', `Verity answered ${response.status} ${error.code}: ${String(error.message ?? '')}`, response.status, retryAfter)
}

/** `fetch` that turns a failure to connect into a `VerityError` `network_error`. */
export async function send(fetchImpl: Fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchImpl(url, init)
  } catch (cause) {
    if ((cause as Error | undefined)?.name === 'AbortError') throw cause
    throw new VerityError('network_error', `Could not reach Verity at ${url}: ${(cause as Error | undefined)?.message ?? cause}`)
  }
}

/**
 * One JSON call to Verity: the parsed body on 2xx (undefined for 204), a `VerityError` otherwise.
 */
export async function requestJson(fetchImpl: Fetch, url: string, method: string, body?: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const init: RequestInit = { method, headers }
  if (body !== undefined) init.body = JSON.stringify(body)
  const response = await send(fetchImpl, url, init)
  if (!response.ok) throw await errorFrom(response)
  if (response.status === 204) return undefined
  try {
    return await response.json()
  } catch {
    throw new VerityError('unexpected_response', `Verity answered ${response.status} with a body that is not JSON.`, response.status)
  }
}
