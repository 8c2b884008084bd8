import { createConversations } from './conversations.js'
import { requestJson } from './http.js'
import { createLiveMessages } from './live-messages.js'
import { createSession } from './session.js'
import { memoryStorage } from './storage.js'
import type { Messenger, MessengerOptions } from './types.js'
import { VerityError } from './verity-error.js'

/**
 * Makes the messenger for one app and platform. Nothing is sent until a login or registration.
 *
 * @example
 * ```ts
 * import { createMessenger } from '@verity/messenger'
 *
 * const messenger = createMessenger({ baseUrl: 'https://verity.example.com', appId, platform: 'web' })
 * const { userId, userHash } = await (await fetch('/api/messenger-identity')).json() // your server
 * await messenger.login({ userId, userHash })
 * messenger.onMessage((message) => showReply(message.body))
 * await messenger.conversations.create('Hello!')
 * ```
 */
export function createMessenger(options: MessengerOptions): Messenger {
  for (const key of ['baseUrl', 'appId', 'platform'] as const) {
    if (!options?.[key]) throw new VerityError('invalid_request', `createMessenger: ${key} is required.`)
  }
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const session = createSession(options, fetchImpl, options.storage ?? memoryStorage(), () => live.restart())
  const live = createLiveMessages(baseUrl, fetchImpl, session)

  async function call(method: string, path: string, body?: unknown): Promise<any> {
    await session.idle()
    for (let renewed = false; ; renewed = true) {
      const token = session.token
      if (!token) {
        throw session.pending
          ? new VerityError('user_hash_missing', 'The registration waits for its user hash: call setUserHash(hash) first.', 401)
          : new VerityError('token_missing', 'No session yet: call login(), registerIdentifiedUser() or registerUnidentifiedUser() first.', 401)
      }
      try {
        return await requestJson(fetchImpl, baseUrl + path, method, body, token)
      } catch (error) {
        const code = (error as VerityError).code
        if (renewed || (code !== 'token_expired' && code !== 'token_invalid')) throw error
        await session.renew(token)
      }
    }
  }

  return {
    get user() {
      return session.user && { ...session.user }
    },
    login: (login = {}) => session.login(login),
    setUserHash: (hash) => session.setUserHash(hash),
    registerIdentifiedUser: (identity) => session.registerIdentified(identity),
    registerUnidentifiedUser: () => session.registerUnidentified(),
    conversations: createConversations(call),
    onMessage: (listener) => live.add(listener),
    logout: () => session.logout(),
  }
}
