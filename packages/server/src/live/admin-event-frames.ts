import { alertView } from '../services/alerts.js'
import { messageView } from '../services/conversation-views.js'
import { failureView } from '../services/failure-log.js'
import type { StoredAlert } from '../storage/alert-repository.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import type { FailureRow } from '../storage/failure-repository.js'
import type { AdminAction } from '../authorization/admin-permissions.js'
import type { AdminEvent, AdminEventSource } from './admin-event-streams.js'
import type { RowFeed } from './row-feed.js'

function event(action: AdminAction, type: string, data: unknown): AdminEvent {
  return { action, frame: Buffer.from(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`, 'utf8') }
}

/** A messenger user's message (teammates' own replies are not news to teammates). */
export function messageEvent(item: MessageInSpace): AdminEvent | null {
  if (item.message.author !== 'user') return null
  return event('conversations.read', 'message', { app_id: item.message.app_id, conversation_id: item.message.conversation_id, message: messageView(item.message) })
}

/** A failure row, as GET /admin/v1/apps/{app_id}/failures shows it. */
export function failureEvent(row: FailureRow): AdminEvent {
  return event('failures.read', 'failure', { app_id: row.app_id, failure: failureView(row) })
}

/** An alert, as GET /admin/v1/alerts shows it. */
export function alertEvent(stored: StoredAlert): AdminEvent {
  return event('alerts.read', 'alert', { alert: alertView(stored) })
}

/** A feed of rows as a source of admin events, each row's frame made once. */
export function adminEventSource<T>(feed: RowFeed<T>, toEvent: (row: T) => AdminEvent | null): AdminEventSource {
  return {
    subscribe(listener) {
      return feed.subscribe((row) => {
        const made = toEvent(row)
        if (made !== null) listener(made)
      })
    },
  }
}
