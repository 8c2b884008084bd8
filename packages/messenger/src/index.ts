/**
 * `@verity/messenger`: the Verity messenger SDK for web and React Native apps. No dependencies.
 *
 * @example
 * ```ts
 * import { createMessenger } from '@verity/messenger'
 *
 * const messenger = createMessenger({ baseUrl: 'https://verity.example.com', appId, platform: 'web' })
 * await messenger.login({ userId, userHash }) // both from your server, after your own login
 * messenger.onMessage((message, conversationId) => render(conversationId, message))
 * ```
 *
 * @module
 */

export { createMessenger } from './create-messenger.js'
export type { MessengerStorage } from './storage.js'
export type {
  Conversation,
  ConversationPage,
  ConversationSummary,
  Conversations,
  Identity,
  LoginOptions,
  Message,
  MessageListener,
  Messenger,
  MessengerOptions,
  MessengerUser,
  Platform,
} from './types.js'
export { VerityError } from './verity-error.js'
export { VERITY_ERROR_CODES, type VerityErrorCode } from './error-codes.js'
