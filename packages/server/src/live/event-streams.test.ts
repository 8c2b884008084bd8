import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import { EventStreams } from './event-streams.js'
import { MessageFeed } from './message-feed.js'

class FakeResponse extends EventEmitter {
  status = 0
  headers: Record<string, string> = {}
  chunks: string[] = []
  writableEnded = false
  destroyed = false
  writableLength = 0
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status
    this.headers = headers
    return this
  }
  write(chunk: string) {
    this.chunks.push(chunk)
    return true
  }
  end() {
    this.writableEnded = true
    this.emit('close')
  }
  get text() {
    return this.chunks.join('')
  }
}

const now = () => Date.now()
const session = (overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
  iss: 'verity',
  aud: 'app_a',
  sub: 'dev:dev_d',
  iat: Math.floor(now() / 1000),
  exp: Math.floor(now() / 1000) + 900,
  trust: 'anonymous',
  plt: 'web',
  did: 'dev_d',
  ...overrides,
})
const mine = { app_id: 'app_a', trust: 'anonymous', user_key: null, device_id: 'dev_d' }
const theirs = { app_id: 'app_a', trust: 'anonymous', user_key: null, device_id: 'dev_e' }
const item = (space: typeof mine, body = 'b'): MessageInSpace => ({
  space,
  message: { id: newId('msg'), conversation_id: 'conv_x', app_id: 'app_a', author: 'teammate', body, created_at: new Date().toISOString() },
})

function setup(options: { maxStreams?: number; replay?: MessageInSpace[] | Promise<MessageInSpace[]>; valid?: () => boolean } = {}) {
  const feed = new MessageFeed({ source: { messageIdsAfter: async () => [], messagesWithSpace: async () => [] }, logger: pino({ level: 'silent' }) })
  const streams = new EventStreams({
    feed,
    replay: async () => options.replay ?? [],
    isSessionValid: options.valid ?? (() => true),
    logger: pino({ level: 'silent' }),
    maxStreams: options.maxStreams ?? 10,
    heartbeatMs: 1_000,
  })
  const open = (claims = session(), lastEventId: string | null = null) => {
    const res = new FakeResponse()
    streams.open(claims, res as unknown as ServerResponse, lastEventId, 'req-1')
    return res
  }
  return { feed, streams, open }
}

afterEach(() => vi.useRealTimers())

describe('EventStreams', () => {
  it('writes an event for each readable message, and nothing for others', () => {
    const { feed, open, streams } = setup()
    const res = open()
    expect(res.status).toBe(200)
    expect(res.headers['Content-Type']).toMatch(/^text\/event-stream/)
    const readable = item(mine, 'for me')
    feed.publish(item(theirs, 'not for me'))
    feed.publish(readable)
    expect(res.text).toContain(`id: ${readable.message.id}\nevent: message\ndata: {"conversation_id":"conv_x","message":{"id":"${readable.message.id}","author":"teammate","body":"for me"`)
    expect(res.text).not.toContain('not for me')
    streams.closeAll()
  })

  it('replays first, then what arrived meanwhile, each once', async () => {
    const missed = [item(mine, 'missed 1'), item(mine, 'missed 2')]
    let release!: (value: MessageInSpace[]) => void
    const { feed, open, streams } = setup({ replay: new Promise((r) => (release = r)) })
    const res = open(session(), newId('msg', Date.now() - 60_000))
    const meanwhile = item(mine, 'meanwhile')
    feed.publish(meanwhile)
    feed.publish(missed[1]!) // also read by the replay: must not appear twice
    expect(res.text).not.toContain('meanwhile')
    release(missed)
    await new Promise((r) => setImmediate(r))
    const bodies = [...res.text.matchAll(/"body":"([^"]+)"/g)].map((m) => m[1])
    expect(bodies).toEqual(['missed 1', 'missed 2', 'meanwhile'])
    streams.closeAll()
  })

  it('sends heartbeats, and ends the stream when the token expires or is revoked', () => {
    vi.useFakeTimers()
    let valid = true
    const { open, streams } = setup({ valid: () => valid })
    const expiring = open(session({ exp: Math.floor(Date.now() / 1000) + 2 }))
    const revoked = open()
    vi.advanceTimersByTime(1_000)
    expect(expiring.text).toContain(':\n\n')
    expect(expiring.writableEnded).toBe(false)
    valid = false
    vi.advanceTimersByTime(2_000)
    expect(expiring.writableEnded).toBe(true)
    expect(revoked.writableEnded).toBe(true)
    expect(streams.size).toBe(0)
  })

  it('bounds the number of streams with 503 unavailable, and frees a place when a client leaves', () => {
    const { open, streams } = setup({ maxStreams: 2 })
    const first = open()
    open()
    expect(() => open()).toThrow(VerityError)
    try {
      open()
    } catch (error) {
      expect((error as VerityError).code).toBe('unavailable')
      expect((error as VerityError).headers['Retry-After']).toBeDefined()
    }
    first.emit('close')
    expect(streams.size).toBe(1)
    expect(() => open()).not.toThrow()
    streams.closeAll()
  })

  it('closeAll ends every stream, unsubscribes from the feed, and refuses new ones', () => {
    const { feed, open, streams } = setup()
    const a = open()
    const b = open()
    expect(feed.listenerCount).toBe(2)
    streams.closeAll()
    expect([a.writableEnded, b.writableEnded, streams.size, feed.listenerCount]).toEqual([true, true, 0, 0])
    expect(() => open()).toThrow(/shutting down/)
  })

  it('drops a client that does not read, rather than buffering without end', () => {
    const { feed, open, streams } = setup()
    const slow = open()
    slow.writableLength = 2 * 1024 * 1024
    feed.publish(item(mine))
    expect(slow.writableEnded).toBe(true)
    expect(streams.size).toBe(0)
  })
})
