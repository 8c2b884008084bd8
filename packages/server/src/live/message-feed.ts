import type { Logger } from 'pino'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import { RowFeed } from './row-feed.js'

export interface MessageFeedSource {
  messageIdsAfter(afterId: string, limit: number): Promise<string[]>
  messagesWithSpace(ids: readonly string[]): Promise<MessageInSpace[]>
}

export interface MessageFeedOptions {
  readonly source: MessageFeedSource
  readonly logger: Logger
  readonly intervalMs?: number
  readonly lookbackMs?: number
  readonly beforeDelivery?: () => Promise<void>
  readonly now?: () => number
}

/** New messages in every conversation, for the messenger's and the teammates' live streams. */
export class MessageFeed extends RowFeed<MessageInSpace> {
  constructor({ source, ...options }: MessageFeedOptions) {
    super({
      ...options,
      name: 'message',
      prefix: 'msg',
      idOf: (item) => item.message.id,
      source: { idsAfter: (afterId, limit) => source.messageIdsAfter(afterId, limit), withIds: (ids) => source.messagesWithSpace(ids) },
    })
  }
}
