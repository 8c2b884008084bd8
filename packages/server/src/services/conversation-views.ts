import type { ConversationRow, MessageRow } from '../storage/conversation-repository.js'

/** The API's JSON shapes for conversations and messages (API.md, Messenger API and Admin API). */
export interface MessageView {
  id: string
  author: 'user' | 'teammate'
  body: string
  created_at: string
}

export interface ConversationView {
  id: string
  created_at: string
  verified: boolean
  last_message_at: string
  messages: MessageView[]
}

export interface ConversationSummaryView {
  id: string
  created_at: string
  verified: boolean
  last_message_at: string
  last_message: MessageView | null
}

export interface AdminConversationView {
  id: string
  app_id: string
  created_at: string
  verified: boolean
  trust: string
  /**
   * Who the session was; only a verified user has a name (profiles are verified users').
   * `email_verified` is false when the email was only claimed beside a proven user id.
   */
  user: { user_id: string | null; email: string | null; email_verified: boolean; name: string | null }
  device_id?: string
  platform: string
  last_message_at: string
}

export function messageView(row: MessageRow): MessageView {
  return { id: row.id, author: row.author === 'teammate' ? 'teammate' : 'user', body: row.body, created_at: row.created_at }
}

export function conversationView(row: ConversationRow, messages: readonly MessageRow[]): ConversationView {
  return {
    id: row.id,
    created_at: row.created_at,
    verified: row.trust === 'verified',
    last_message_at: row.last_message_at,
    messages: messages.map(messageView),
  }
}

export function conversationSummaryView(row: ConversationRow, last: MessageRow | undefined): ConversationSummaryView {
  return {
    id: row.id,
    created_at: row.created_at,
    verified: row.trust === 'verified',
    last_message_at: row.last_message_at,
    last_message: last ? messageView(last) : null,
  }
}

export function adminConversationView(row: ConversationRow, name: string | null): AdminConversationView {
  const view: AdminConversationView = {
    id: row.id,
    app_id: row.app_id,
    created_at: row.created_at,
    verified: row.trust === 'verified',
    trust: row.trust,
    user: { user_id: row.user_id, email: row.email, email_verified: row.email_verified === 1, name: row.trust === 'verified' ? name : null },
    platform: row.platform,
    last_message_at: row.last_message_at,
  }
  if (row.device_id !== null) view.device_id = row.device_id
  return view
}
