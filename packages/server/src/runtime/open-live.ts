import type { Logger } from 'pino'
import type { ServerConfig } from '../config/server-config.js'
import type { ConfigCache } from '../config-cache/config-cache.js'
import type { PostgresChangeListener } from '../config-cache/postgres-change-listener.js'
import { currentRolesOf } from '../http/admin-stream-holder.js'
import { isSessionCurrent } from '../http/authenticate.js'
import { adminEventSource, alertEvent, failureEvent, messageEvent } from '../live/admin-event-frames.js'
import { AdminEventStreams } from '../live/admin-event-streams.js'
import { EventStreams } from '../live/event-streams.js'
import { MessageFeed } from '../live/message-feed.js'
import { RowFeed } from '../live/row-feed.js'
import { Conversations } from '../services/conversations.js'
import type { UserProfiles } from '../services/user-profiles.js'
import type { AlertRepository } from '../storage/alert-repository.js'
import { ConversationRepository } from '../storage/conversation-repository.js'
import { MESSAGES_CHANNEL } from '../storage/notify.js'
import type { VerityData } from './open-verity-data.js'
import type { TeammateAccounts } from './open-teammate-accounts.js'

export interface LiveDeps {
  readonly data: VerityData
  readonly config: ServerConfig
  readonly cache: ConfigCache
  readonly listener: PostgresChangeListener | null
  readonly profiles: UserProfiles
  readonly alertRepository: AlertRepository
  readonly accounts: TeammateAccounts
  readonly logger: Logger
}

export interface Live {
  readonly conversations: Conversations
  /** Messenger users' streams (GET /v1/messenger/events). */
  readonly eventStreams: EventStreams
  /** Teammates' streams (GET /admin/v1/events): messages, failures and alerts. */
  readonly adminStreams: AdminEventStreams
  /** After a configuration change: every stream re-checks its credentials at once. */
  sweep(): void
}

/** Conversations and every live stream over them, fed by one poll loop per source in this process. */
export function openLive({ data, config, cache, listener, profiles, alertRepository, accounts, logger }: LiveDeps): Live {
  const conversationRepository = new ConversationRepository(data.db)
  // One poll loop per process feeds every live stream, on SQLite and PostgreSQL alike; on
  // PostgreSQL a message written by another instance also wakes it at once (NOTIFY).
  const feed = new MessageFeed({ source: conversationRepository, logger, beforeDelivery: () => cache.refresh() })
  listener?.subscribe(MESSAGES_CHANNEL, () => feed.wake())
  const conversations = new Conversations({
    repo: conversationRepository,
    feed,
    appExists: (appId) => cache.app(appId) !== undefined,
    names: (appId, userKeys) => profiles.names(appId, userKeys),
  })
  const eventStreams = new EventStreams({
    feed,
    replay: (space, afterId, limit) => conversationRepository.messagesInSpaceAfter(space, afterId, limit),
    isSessionValid: (session) => isSessionCurrent(session, cache),
    logger,
    limits: { perSession: config.limits.streamsPerSession, perClient: config.limits.streamsPerClient },
  })
  // Failures and alerts are rows in shared tables: polling them reaches every instance's writes,
  // on PostgreSQL as on SQLite, the same way messages do.
  const failureFeed = new RowFeed({ name: 'failure', prefix: 'fail', idOf: (row) => row.id, source: data.failures, logger })
  const alertFeed = new RowFeed({ name: 'alert', prefix: 'alrt', idOf: (row) => row.id, source: alertRepository, logger })
  const adminStreams = new AdminEventStreams({
    sources: [adminEventSource(feed, messageEvent), adminEventSource(failureFeed, failureEvent), adminEventSource(alertFeed, alertEvent)],
    currentRoles: (keys) => currentRolesOf(keys, { sessions: accounts.sessions, tokens: accounts.tokens, adminKeyWorks: (hash) => cache.adminActor(hash) !== undefined }),
    logger,
    limits: { perClient: config.limits.streamsPerClient },
  })
  return {
    conversations,
    eventStreams,
    adminStreams,
    sweep: () => {
      eventStreams.sweep()
      void adminStreams.sweep()
    },
  }
}
