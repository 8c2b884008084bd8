import { messageView } from '../services/conversation-views.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'

/**
 * One message as Server-Sent Event bytes. The feed hands the same item to every stream, so the
 * frame is made once and the same Buffer is queued on each socket that takes it: a message
 * delivered to many streams costs its size once, not once a stream.
 */
const frames = new WeakMap<MessageInSpace, Buffer>()

export function eventFrame(item: MessageInSpace): Buffer {
  let frame = frames.get(item)
  if (frame === undefined) {
    const data = JSON.stringify({ conversation_id: item.message.conversation_id, message: messageView(item.message) })
    frame = Buffer.from(`id: ${item.message.id}\nevent: message\ndata: ${data}\n\n`, 'utf8')
    frames.set(item, frame)
  }
  return frame
}
