import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { newId } from '../crypto/random-ids.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import { MessageFeed, type MessageFeedSource } from './message-feed.js'

const SPACE = { app_id: 'app_a', trust: 'anonymous', user_key: null, device_id: 'dev_d' }

/** A messages table in memory: rows become visible when "committed", whatever their id. */
class FakeSource implements MessageFeedSource {
  readonly committed: MessageInSpace[] = []
  failing = false
  add(at: number): MessageInSpace {
    const item = { space: SPACE, message: { id: newId('msg', at), conversation_id: 'conv_x', app_id: 'app_a', author: 'user', body: 'b', created_at: new Date(at).toISOString() } }
    this.committed.push(item)
    return item
  }
  async messageIdsAfter(afterId: string, limit: number): Promise<string[]> {
    if (this.failing) throw new Error('storage down')
    return this.committed.map((c) => c.message.id).filter((id) => id > afterId).sort().slice(0, limit)
  }
  async messagesWithSpace(ids: readonly string[]): Promise<MessageInSpace[]> {
    if (this.failing) throw new Error('storage down')
    return this.committed.filter((c) => ids.includes(c.message.id)).sort((a, b) => (a.message.id < b.message.id ? -1 : 1))
  }
}

function setup(beforeDelivery?: () => Promise<void>) {
  let now = 1_700_000_000_000
  const source = new FakeSource()
  const feed = new MessageFeed({ source, logger: pino({ level: 'silent' }), intervalMs: 60_000, lookbackMs: 5_000, now: () => now, ...(beforeDelivery && { beforeDelivery }) })
  const got: string[] = []
  const stop = feed.subscribe((item) => got.push(item.message.id))
  return { source, feed, got, stop, advance: (ms: number) => (now += ms), now: () => now }
}

describe('MessageFeed', () => {
  it('brings the configuration up to date after reading new messages and before delivering them; a failure holds them back', async () => {
    const order: string[] = []
    let failing = true
    const { source, feed, got, stop, advance, now } = setup(async () => {
      order.push(`refresh with ${got.length} delivered`)
      if (failing) throw new Error('storage down')
    })
    await feed.poll()
    expect(order).toEqual([]) // nothing new: no refresh
    advance(10)
    const a = source.add(now())
    await feed.poll()
    expect(got).toEqual([])
    failing = false
    await feed.poll()
    expect(got).toEqual([a.message.id])
    expect(order).toEqual(['refresh with 0 delivered', 'refresh with 0 delivered'])
    stop()
  })

  it('delivers each new message once, however many polls see it', async () => {
    const { source, feed, got, stop, advance, now } = setup()
    advance(10)
    const a = source.add(now())
    await feed.poll()
    await feed.poll()
    advance(1_000)
    const b = source.add(now())
    await feed.poll()
    expect(got).toEqual([a.message.id, b.message.id])
    stop()
  })

  it('does not announce messages made before it started', async () => {
    const { source, feed, got, stop, now } = setup()
    source.add(now() - 1_000)
    await feed.poll()
    expect(got).toEqual([])
    stop()
  })

  it('delivers a message that commits after a newer one (another process, a slow transaction)', async () => {
    const { source, feed, got, stop, advance, now } = setup()
    advance(2_000)
    const newer = source.add(now())
    await feed.poll()
    // Created 1.5 s earlier by its own clock, committed only now.
    const late = source.add(now() - 1_500)
    advance(500)
    await feed.poll()
    expect(got).toEqual([newer.message.id, late.message.id])
    stop()
  })

  it('does not deliver twice what this process published and a poll then reads', async () => {
    const { source, feed, got, stop, advance, now } = setup()
    advance(10)
    const mine = source.add(now())
    feed.publish(mine)
    await feed.poll()
    expect(got).toEqual([mine.message.id])
    stop()
  })

  it('delivers after a storage outage what arrived during it', async () => {
    const { source, feed, got, stop, advance, now } = setup()
    source.failing = true
    advance(10)
    const during = source.add(now())
    await feed.poll()
    expect(got).toEqual([])
    source.failing = false
    advance(500)
    await feed.poll()
    expect(got).toEqual([during.message.id])
    stop()
  })

  it('runs only while someone listens, and one listener failing does not stop the others', async () => {
    const { source, feed, got, stop, advance, now } = setup()
    const unsubscribe = feed.subscribe(() => {
      throw new Error('a broken stream')
    })
    advance(10)
    feed.publish(source.add(now()))
    expect(got).toHaveLength(1)
    unsubscribe()
    stop()
    expect(feed.listenerCount).toBe(0)
    feed.publish(source.add(now()))
    expect(got).toHaveLength(1)
  })
})
