import type { ExpressionBuilder, Kysely, Selectable } from 'kysely'
import type { ConversationSpace } from '../authorization/can-read-conversation.js'
import { MESSAGES_CHANNEL, notifyOnCommit } from './notify.js'
import type { ConversationsTable, Database, MessagesTable } from './schema.js'

export type ConversationRow = Selectable<ConversationsTable>
export type MessageRow = Selectable<MessagesTable>

/** A message with the space of its conversation, so that a reader can be checked without a lookup. */
export interface MessageInSpace {
  readonly space: ConversationSpace
  readonly message: MessageRow
}

/** The four space columns equal the space's (null meaning IS NULL): the access rule as SQL. */
function inSpace(space: ConversationSpace) {
  return (eb: ExpressionBuilder<Database, 'conversations'>) =>
    eb.and([
      eb('conversations.app_id', '=', space.app_id),
      eb('conversations.trust', '=', space.trust),
      space.user_key === null ? eb('conversations.user_key', 'is', null) : eb('conversations.user_key', '=', space.user_key),
      space.device_id === null ? eb('conversations.device_id', 'is', null) : eb('conversations.device_id', '=', space.device_id),
    ])
}

/**
 * Conversations and their messages. Every read a messenger makes goes through a space; only the
 * admin reads (teammates see the whole app) take an app id alone.
 */
export class ConversationRepository {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** The conversation and its first message, both or neither. */
  async create(conversation: ConversationRow, first: MessageRow): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('conversations').values(conversation).execute()
      await trx.insertInto('messages').values(first).execute()
      await notifyOnCommit(trx, MESSAGES_CHANNEL) // wakes the live feed of other instances (PostgreSQL)
    })
  }

  async addMessage(message: MessageRow): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('messages').values(message).execute()
      await notifyOnCommit(trx, MESSAGES_CHANNEL)
      await trx
        .updateTable('conversations')
        .set({ last_message_at: message.created_at })
        .where('id', '=', message.conversation_id)
        .where('last_message_at', '<', message.created_at)
        .execute()
    })
  }

  async findInSpace(id: string, space: ConversationSpace): Promise<ConversationRow | null> {
    const row = await this.#db.selectFrom('conversations').selectAll().where('id', '=', id).where(inSpace(space)).executeTakeFirst()
    return row ?? null
  }

  async findInApp(id: string, appId: string): Promise<ConversationRow | null> {
    const row = await this.#db.selectFrom('conversations').selectAll().where('id', '=', id).where('app_id', '=', appId).executeTakeFirst()
    return row ?? null
  }

  /** Newest first; ids are time-ordered, so the last id of a page is the cursor of the next. */
  async pageInSpace(space: ConversationSpace, limit: number, beforeId: string | null): Promise<ConversationRow[]> {
    let query = this.#db.selectFrom('conversations').selectAll().where(inSpace(space)).orderBy('id', 'desc').limit(limit)
    if (beforeId !== null) query = query.where('id', '<', beforeId)
    return query.execute()
  }

  /** Of one app, or of every app (null): teammates see them all. */
  async pageInApp(appId: string | null, verified: boolean | undefined, limit: number, beforeId: string | null): Promise<ConversationRow[]> {
    let query = this.#db.selectFrom('conversations').selectAll().orderBy('id', 'desc').limit(limit)
    if (appId !== null) query = query.where('app_id', '=', appId)
    if (verified !== undefined) query = query.where('trust', verified ? '=' : '<>', 'verified')
    if (beforeId !== null) query = query.where('id', '<', beforeId)
    return query.execute()
  }

  /** The latest `limit` messages of a conversation, oldest first. */
  async messages(conversationId: string, limit: number): Promise<MessageRow[]> {
    const rows = await this.#db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
    return rows.reverse()
  }

  /** The latest message of each of these conversations. */
  async lastMessages(conversationIds: readonly string[]): Promise<Map<string, MessageRow>> {
    if (conversationIds.length === 0) return new Map()
    const rows = await this.#db
      .selectFrom('messages')
      .selectAll()
      .where('id', 'in', (eb) =>
        eb.selectFrom('messages').select((e) => e.fn.max('id').as('id')).where('conversation_id', 'in', conversationIds).groupBy('conversation_id'),
      )
      .execute()
    return new Map(rows.map((r) => [r.conversation_id, r]))
  }

  /** Ids of messages after `afterId`, in order: cheap (the primary key alone), for the live feed. */
  async messageIdsAfter(afterId: string, limit: number): Promise<string[]> {
    const rows = await this.#db.selectFrom('messages').select('id').where('id', '>', afterId).orderBy('id').limit(limit).execute()
    return rows.map((r) => r.id)
  }

  async messagesWithSpace(ids: readonly string[]): Promise<MessageInSpace[]> {
    if (ids.length === 0) return []
    const rows = await this.#withSpace().where('messages.id', 'in', ids).orderBy('messages.id').execute()
    return rows.map(toMessageInSpace)
  }

  /** What a reconnecting stream missed: messages after `afterId` in conversations of this space. */
  async messagesInSpaceAfter(space: ConversationSpace, afterId: string, limit: number): Promise<MessageInSpace[]> {
    const rows = await this.#withSpace()
      .where(inSpace(space))
      .where('messages.id', '>', afterId)
      .orderBy('messages.id')
      .limit(limit)
      .execute()
    return rows.map(toMessageInSpace)
  }

  #withSpace() {
    return this.#db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select([
        'messages.id',
        'messages.conversation_id',
        'messages.app_id',
        'messages.author',
        'messages.body',
        'messages.created_at',
        'conversations.app_id as space_app_id',
        'conversations.trust as space_trust',
        'conversations.user_key as space_user_key',
        'conversations.device_id as space_device_id',
      ])
  }
}

function toMessageInSpace(row: MessageRow & { space_app_id: string; space_trust: string; space_user_key: string | null; space_device_id: string | null }): MessageInSpace {
  return {
    space: { app_id: row.space_app_id, trust: row.space_trust, user_key: row.space_user_key, device_id: row.space_device_id },
    message: { id: row.id, conversation_id: row.conversation_id, app_id: row.app_id, author: row.author, body: row.body, created_at: row.created_at },
  }
}
