// Helpers for driving @verity/messenger against a real Verity server. Nothing here stands in for
// the server: the recording fetch passes every request through to it and only writes down what
// went by, so that tests can check what the SDK sent.
import type { MessengerStorage } from '../src/index.js'

export { startTestServer, type TestServer } from '../../server/test/support/test-server.js'
export { BACKENDS, startBackendServer, startOnSameData } from '../../server/test/support/backends.js'
export { hmacHex } from '../../server/test/support/hmac.js'

export interface RecordedCall {
  method: string
  path: string
  body: any
  status: number
  headers: Record<string, string>
  responseHeaders: Record<string, string>
}

/** The global fetch, recording each call's method, path, JSON body, request headers and status. */
export function recordingFetch(): { fetch: typeof fetch; calls: RecordedCall[]; authBodies: () => any[] } {
  const calls: RecordedCall[] = []
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(String(input))
    const response = await fetch(input, init)
    const headers = Object.fromEntries(new Headers(init?.headers).entries())
    calls.push({
      method: init?.method ?? 'GET',
      path: url.pathname + url.search,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
      status: response.status,
      headers,
      responseHeaders: Object.fromEntries(response.headers.entries()),
    })
    return response
  }
  return { fetch: wrapped, calls, authBodies: () => calls.filter((c) => c.path === '/v1/messenger/auth').map((c) => c.body) }
}

/** An async key-value storage whose contents a test can look at, like AsyncStorage. */
export function inspectableStorage(): MessengerStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    getItem: async (key) => map.get(key) ?? null,
    setItem: async (key, value) => void map.set(key, value),
    removeItem: async (key) => void map.delete(key),
  }
}

/** Resolves when `check` passes, polling every 25 ms; rejects with its last error after `ms`. */
export async function eventually(check: () => void | Promise<void>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
}
