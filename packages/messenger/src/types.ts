import type { MessengerStorage } from './storage.js'

/** The platform the app runs on. Each has its own secrets in Verity. */
export type Platform = 'web' | 'ios' | 'android'

/** What {@link createMessenger} takes. */
export interface MessengerOptions {
  /** Where Verity answers, such as `https://verity.example.com` (no path after it). */
  baseUrl: string
  /** The app's id in Verity. */
  appId: string
  /** `web`, `ios` or `android`: it selects the secrets the proof must be made with. */
  platform: Platform
  /** Your app's version, such as `2.3.0`; the rollout statistics count users by it. */
  appVersion?: string
  /** Where the device id is kept across restarts; in memory when not given. */
  storage?: MessengerStorage
  /**
   * Fetches a fresh identity token from your server. Called when a session that logged in with an
   * `identityToken` must be renewed (its access token expired or was revoked).
   */
  getIdentityToken?: () => Promise<string> | string
  /**
   * The `fetch` to use; the global one by default. On React Native, live messages need a `fetch`
   * whose responses stream, such as `fetch` from `expo/fetch`.
   */
  fetch?: typeof fetch
}

/** Who the app says its signed-in user is. Give `userId` whenever you have one: it wins over `email`. */
export interface Identity {
  /** Your stable id for the user, as a string. */
  userId?: string
  /** The user's email, exactly as your server hashed it. */
  email?: string
}

/** What {@link Messenger.login} takes: an identity and its proof, or an identity token alone. */
export interface LoginOptions extends Identity {
  /** `hex(HMAC-SHA256(platform secret, userId ?? email))`, made by your server. */
  userHash?: string
  /** A short-lived JWT signed by your server with the platform secret; the identity comes from it. */
  identityToken?: string
}

/** The user of the current session. */
export interface MessengerUser {
  userId: string | null
  email: string | null
  /** No `userId` and no `email`: a visitor. */
  anonymous: boolean
  /** Verity checked the proof; only verified sessions see the user's conversations from other devices. */
  verified: boolean
}

/** One message of a conversation. */
export interface Message {
  id: string
  /** `user` for the app's user, `teammate` for your support team. */
  author: 'user' | 'teammate'
  body: string
  /** RFC 3339, UTC. */
  createdAt: string
}

/** A conversation this session may read, as {@link Conversations.list} shows it. */
export interface ConversationSummary {
  id: string
  /** RFC 3339, UTC. */
  createdAt: string
  /** Whether it was started by a verified session. */
  verified: boolean
  /** RFC 3339, UTC: when its latest message was written. */
  lastMessageAt: string
  /** Its latest message. */
  lastMessage: Message | null
}

/** A conversation with its messages: from {@link Conversations.get} and {@link Conversations.create}. */
export interface Conversation {
  id: string
  /** RFC 3339, UTC. */
  createdAt: string
  /** Whether it was started by a verified session. */
  verified: boolean
  /** RFC 3339, UTC: when its latest message was written. */
  lastMessageAt: string
  /** Oldest first. */
  messages: Message[]
}

/** One page of {@link Conversations.list}. */
export interface ConversationPage {
  /** Newest first. */
  conversations: ConversationSummary[]
  /** Pass it as `cursor` for the next page; null on the last page. */
  nextCursor: string | null
}

/** The conversations of the current session: {@link Messenger.conversations}. */
export interface Conversations {
  /** The conversations this session may read, newest first. */
  list(options?: { limit?: number; cursor?: string }): Promise<ConversationPage>
  /** Starts a conversation with its first message. */
  create(body: string): Promise<Conversation>
  /** One conversation with its messages; `not_found` when it is not this session's. */
  get(id: string): Promise<Conversation>
  /** Adds the user's message to a conversation. */
  reply(id: string, body: string): Promise<Message>
}

/**
 * Called for each new message in the session's conversations: teammates' replies, and the user's own
 * messages (from this device or another), once each.
 */
export type MessageListener = (message: Message, conversationId: string) => void

/** The messenger: made by {@link createMessenger}. */
export interface Messenger {
  /**
   * The user of the current session, or null before login, after logout, and while a registration
   * waits for its user hash.
   */
  readonly user: MessengerUser | null
  /** Logs a user in with one call: an identity and its hash, an identity token, or nothing (a visitor). */
  login(options?: LoginOptions): Promise<MessengerUser>
  /**
   * Gives the user hash, before or after {@link Messenger.registerIdentifiedUser}. After it, a
   * registration that was waiting for the hash completes, and an unverified session is upgraded.
   */
  setUserHash(userHash: string): Promise<void>
  /**
   * Registers the signed-in user. Without a hash yet, on a platform that enforces verification,
   * the registration waits for {@link Messenger.setUserHash} (with one console warning); elsewhere
   * the user starts unverified until the hash comes.
   */
  registerIdentifiedUser(identity: Identity): Promise<void>
  /** Starts a visitor's session, on this device's anonymous space. */
  registerUnidentifiedUser(): Promise<void>
  /** The current session's conversations. */
  readonly conversations: Conversations
  /**
   * Calls `listener` for every new message in the session's conversations, live. Returns the
   * function that stops it. The connection reconnects by itself, and follows the session across
   * logins; it closes when no listener is left or on logout.
   */
  onMessage(listener: MessageListener): () => void
  /** Forgets the session, the user, the hash and anything cached, and closes the live connection. */
  logout(): Promise<void>
}
