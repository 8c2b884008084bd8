import { VerityError } from '../../errors/verity-error.js'
import type { EventStreams } from '../../live/event-streams.js'
import { MESSAGE_ID_PATTERN } from '../../services/conversations.js'
import { defineRoute, STREAMED, type Route } from '../route.js'
import { eventsQuerySchema } from '../schemas/conversation-schemas.js'

export function messengerEventRoutes(streams: EventStreams): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/messenger/events',
      audience: 'messenger',
      tag: 'messenger',
      summary: 'Live: new messages in the conversations this session may read (Server-Sent Events)',
      description:
        'text/event-stream. Each message is an event `message` whose id is the message id and whose data is {"conversation_id", "message"}. ' +
        'A comment line every 15 s keeps the connection open. Reconnect with Last-Event-ID (header, or ?last_event_id=) to receive the messages missed since (up to 1000). ' +
        'The stream ends within 2 s when the access token expires or stops being valid: reconnect with a fresh one. ' +
        'One access token may hold 5 streams and one client address 200 by default (429 rate_limited past either); ' +
        'a client that falls 256 KiB behind is disconnected.',
      query: eventsQuerySchema,
      responses: { 200: { description: 'An event stream (text/event-stream)' } },
      errors: ['invalid_request', 'token_missing', 'token_invalid', 'token_expired', 'rate_limited', 'unavailable'],
      handle: ({ session, query, req, requestId, client }, res) => {
        const header = req.headers['last-event-id']
        const lastEventId = query.last_event_id ?? (typeof header === 'string' && header !== '' ? header : undefined)
        if (lastEventId !== undefined && !MESSAGE_ID_PATTERN.test(lastEventId)) {
          throw new VerityError('invalid_request', 'Last-Event-ID must be the id of an event this stream sent.')
        }
        streams.open(session!, res, lastEventId ?? null, requestId, client)
        return STREAMED
      },
    }),
  ]
}
