import type { AdminEventStreams } from '../../live/admin-event-streams.js'
import { holderOf } from '../admin-stream-holder.js'
import { defineRoute, STREAMED, type Route } from '../route.js'

export function adminEventRoutes(streams: AdminEventStreams): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/v1/events',
      audience: 'admin',
      action: 'conversations.read',
      tag: 'admin',
      summary: "Live: teammates' events (Server-Sent Events): new messages from users, new failures, new alerts",
      description:
        'text/event-stream, with the session cookie or a Bearer admin key or API token. Events: `message` {"app_id", "conversation_id", "message"} when a messenger user writes in any conversation; ' +
        '`failure` {"app_id", "failure"} for each new failed proof (a Failure, as GET /admin/v1/apps/{app_id}/failures lists it); `alert` {"alert"} for each new alert (as GET /admin/v1/alerts). ' +
        'Agents receive `message` only. Nothing is replayed: a client that reconnects reads the lists again. A comment line every 15 s keeps the connection open. ' +
        'The stream ends within about a second when its session ends or its token is revoked, or its teammate is removed or demoted. ' +
        'One session or token may hold 5 streams, one client address VERITY_STREAMS_PER_CLIENT, a process 1,000 (429 rate_limited / 503 unavailable past them); a client that falls 256 KiB behind is disconnected.',
      responses: { 200: { description: 'An event stream (text/event-stream)' } },
      errors: ['unauthorized', 'rate_limited', 'unavailable'],
      handle: ({ principal, requestId, client }, res) => {
        streams.open(holderOf(principal!), res, requestId, client)
        return STREAMED
      },
    }),
  ]
}
