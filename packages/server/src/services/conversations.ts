import { spaceOf, type ConversationSpace } from '../authorization/can-read-conversation.js'
import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { ConversationRepository, ConversationRow, MessageInSpace, MessageRow } from '../storage/conversation-repository.js'
import { emailVerifiedOf, type AccessTokenClaims } from '../tokens/access-token-claims.js'
import {
  adminConversationView,
  conversationSummaryView,
  conversationView,
  messageView,
  type AdminConversationView,
  type ConversationSummaryView,
  type ConversationView,
  type MessageView,
} from './conversation-views.js'
import { decodeCursor, nextCursor, pageSize } from './pagination.js'

/** What the conversation service needs from live delivery: a message, the moment it is stored. */
export interface MessagePublisher {
  publish(item: MessageInSpace): void
}

export const CONVERSATION_ID_PATTERN = /^conv_[0-9a-z]{26}$/
export const MESSAGE_ID_PATTERN = /^msg_[0-9a-z]{26}$/
/** GET of one conversation shows its latest messages, up to this many. */
export const MESSAGES_SHOWN = 1_000

export interface ConversationsDeps {
  readonly repo: ConversationRepository
  /** Where new messages go for live streams (live/message-feed.ts); services know only this port. */
  readonly feed: MessagePublisher
  /** Whether the app exists (the in-memory config), for the admin calls. */
  readonly appExists: (appId: string) => boolean
  /** Display names of verified users, by namespaced identity, for the teammates' list. */
  readonly names: (appId: string, userKeys: readonly string[]) => Promise<Map<string, string | null>>
  readonly now?: () => Date
}

type Session = AccessTokenClaims

function notFound(): VerityError {
  // One message for "does not exist" and "not yours": the answer must not tell them apart.
  return new VerityError('not_found', 'No conversation with this id.')
}

/**
 * Conversations as the messenger and teammates use them. Every messenger call goes through the
 * session's space (authorization/can-read-conversation.ts), for writes as for reads, so what a
 * session cannot read it cannot write to either, and sees as nonexistent.
 */
export class Conversations {
  readonly #deps: ConversationsDeps
  readonly #now: () => Date

  constructor(deps: ConversationsDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => new Date())
  }

  async start(session: Session, body: string): Promise<ConversationView> {
    const space = requireSpace(session)
    const now = this.#now()
    const at = now.toISOString()
    const conversation: ConversationRow = {
      id: newId('conv', now.getTime()),
      app_id: space.app_id,
      created_at: at,
      trust: space.trust,
      user_key: space.user_key,
      user_id: session.uid ?? null,
      email: session.email ?? null,
      email_verified: emailVerifiedOf(session) ? 1 : 0,
      device_id: space.device_id,
      platform: session.plt,
      last_message_at: at,
    }
    const message = this.#message(conversation.id, space.app_id, 'user', body, now)
    await this.#deps.repo.create(conversation, message)
    this.#deps.feed.publish({ space, message })
    return conversationView(conversation, [message])
  }

  async list(session: Session, page: { limit?: number | undefined; cursor?: string | undefined }): Promise<{ conversations: ConversationSummaryView[]; next_cursor: string | null }> {
    const limit = pageSize(page.limit)
    const before = decodeCursor(page.cursor, CONVERSATION_ID_PATTERN)
    const space = spaceOf(session)
    if (space === null) return { conversations: [], next_cursor: null }
    const rows = await this.#deps.repo.pageInSpace(space, limit, before)
    const last = await this.#deps.repo.lastMessages(rows.map((r) => r.id))
    return { conversations: rows.map((r) => conversationSummaryView(r, last.get(r.id))), next_cursor: nextCursor(rows, limit) }
  }

  async get(session: Session, id: string): Promise<ConversationView> {
    const conversation = await this.#readable(session, id)
    return conversationView(conversation, await this.#deps.repo.messages(conversation.id, MESSAGES_SHOWN))
  }

  async reply(session: Session, id: string, body: string): Promise<MessageView> {
    const conversation = await this.#readable(session, id)
    return this.#add(conversation, 'user', body)
  }

  /** Of one app, or of every app when `appId` is null (the dashboard's inbox). */
  async listForTeammates(
    appId: string | null,
    filter: { verified?: boolean | undefined; limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ conversations: AdminConversationView[]; next_cursor: string | null }> {
    if (appId !== null) this.#requireApp(appId)
    const limit = pageSize(filter.limit)
    const before = decodeCursor(filter.cursor, CONVERSATION_ID_PATTERN)
    const rows = await this.#deps.repo.pageInApp(appId, filter.verified, limit, before)
    return { conversations: await this.#withNames(rows), next_cursor: nextCursor(rows, limit) }
  }

  /** One conversation with its latest messages, for a teammate. */
  async getForTeammates(appId: string, id: string): Promise<{ conversation: AdminConversationView; messages: MessageView[] }> {
    const conversation = await this.#inApp(appId, id)
    const [view] = await this.#withNames([conversation])
    return { conversation: view!, messages: (await this.#deps.repo.messages(conversation.id, MESSAGES_SHOWN)).map(messageView) }
  }

  /** Verified users' display names, read once per app of the page. */
  async #withNames(rows: readonly ConversationRow[]): Promise<AdminConversationView[]> {
    const keysByApp = new Map<string, Set<string>>()
    for (const r of rows) if (r.trust === 'verified' && r.user_key !== null) keysByApp.set(r.app_id, (keysByApp.get(r.app_id) ?? new Set()).add(r.user_key))
    const names = new Map<string, Map<string, string | null>>()
    for (const [appId, keys] of keysByApp) names.set(appId, await this.#deps.names(appId, [...keys]))
    return rows.map((r) => adminConversationView(r, r.user_key === null ? null : (names.get(r.app_id)?.get(r.user_key) ?? null)))
  }

  async teammateReply(appId: string, id: string, body: string): Promise<MessageView> {
    return this.#add(await this.#inApp(appId, id), 'teammate', body)
  }

  async #inApp(appId: string, id: string): Promise<ConversationRow> {
    this.#requireApp(appId)
    const conversation = CONVERSATION_ID_PATTERN.test(id) ? await this.#deps.repo.findInApp(id, appId) : null
    if (!conversation) throw notFound()
    return conversation
  }

  async #readable(session: Session, id: string): Promise<ConversationRow> {
    const space = spaceOf(session)
    const conversation = space !== null && CONVERSATION_ID_PATTERN.test(id) ? await this.#deps.repo.findInSpace(id, space) : null
    if (!conversation) throw notFound()
    return conversation
  }

  async #add(conversation: ConversationRow, author: 'user' | 'teammate', body: string): Promise<MessageView> {
    const message = this.#message(conversation.id, conversation.app_id, author, body, this.#now())
    await this.#deps.repo.addMessage(message)
    this.#deps.feed.publish({ space: conversation, message })
    return messageView(message)
  }

  #message(conversationId: string, appId: string, author: 'user' | 'teammate', body: string, now: Date): MessageRow {
    return { id: newId('msg', now.getTime()), conversation_id: conversationId, app_id: appId, author, body, created_at: now.toISOString() }
  }

  #requireApp(appId: string): void {
    if (!this.#deps.appExists(appId)) throw new VerityError('app_not_found')
  }
}

/** Verity signs every token it issues coherently; a token that is not is refused, not guessed at. */
function requireSpace(session: Session): ConversationSpace {
  const space = spaceOf(session)
  if (space === null) throw new VerityError('token_invalid')
  return space
}
