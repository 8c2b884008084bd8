import { toCamelCase } from './to-camel-case.js'
import type { Conversations } from './types.js'

/** An authorized JSON call to the messenger API (renewing the access token when it must). */
export type AuthorizedCall = (method: string, path: string, body?: unknown) => Promise<any>

/** The conversation calls of the messenger API, on top of an authorized call. */
export function createConversations(call: AuthorizedCall): Conversations {
  const path = '/v1/messenger/conversations'
  const one = (id: string): string => `${path}/${encodeURIComponent(id)}`
  return {
    async list(options = {}) {
      const query = new URLSearchParams()
      if (options.limit !== undefined) query.set('limit', String(options.limit))
      if (options.cursor !== undefined) query.set('cursor', options.cursor)
      const search = String(query)
      const page = toCamelCase(await call('GET', search ? `${path}?${search}` : path))
      return { conversations: page.conversations, nextCursor: page.nextCursor ?? null }
    },
    create: async (body) => toCamelCase((await call('POST', path, { body })).conversation),
    get: async (id) => toCamelCase((await call('GET', one(id))).conversation),
    reply: async (id, body) => toCamelCase((await call('POST', `${one(id)}/messages`, { body })).message),
  }
}
