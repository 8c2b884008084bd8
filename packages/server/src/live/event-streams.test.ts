import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import { pino } from 'pino'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { MessageInSpace } from '../storage/conversation-repository.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import { eventFrame } from './event-frame.js'
import { EventStreams, MAX_QUEUED_BYTES, REPLAY_LIMIT, REPLAY_PAGE } from './event-streams.js'
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
  destroy() {
    this.destroyed = true
  }
  /** What a socket does once it is really gone. */
  gone() {
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
const item = (space: typeof mine, body = 'b', at = Date.now()): MessageInSpace => ({
  space,
  message: { id: newId('msg', at), conversation_id: 'conv_x', app_id: 'app_a', author: 'teammate', body, created_at: new Date(at).toISOString() },
})
/** Stored messages in id order, as the replay reads them. */
const history = (count: number) => Array.from({ length: count }, (_, i) => item(mine, `m${i}`, Date.now() - 30_000 + i))

function setup(
  options: {
    limits?: { perSession?: number; perClient?: number; total?: number }
    replay?: MessageInSpace[] | Promise<MessageInSpace[]> | ((afterId: string, limit: number) => Promise<MessageInSpace[]>)
    valid?: () => boolean
  } = {},
) {
  const feed = new MessageFeed({ source: { messageIdsAfter: async () => [], messagesWithSpace: async () => [] }, logger: pino({ level: 'silent' }) })
  const streams = new EventStreams({
    feed,
    replay: async (_space, afterId, limit) => {
      const replay = options.replay ?? []
      return typeof replay === 'function' ? replay(afterId, limit) : replay
    },
    isSessionValid: options.valid ?? (() => true),
    logger: pino({ level: 'silent' }),
    limits: { total: 10, ...options.limits },
    heartbeatMs: 1_000,
  })
  const open = (claims = session(), lastEventId: string | null = null, client = '192.0.2.1') => {
    const res = new FakeResponse()
    streams.open(claims, res as unknown as ServerResponse, lastEventId, 'req-1', client)
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

  it('sends a heartbeat every heartbeat interval', () => {
    vi.useFakeTimers()
    const { open, streams } = setup()
    const res = open()
    vi.advanceTimersByTime(999)
    expect(res.text).not.toContain(':\n\n')
    vi.advanceTimersByTime(1)
    expect(res.text).toContain(':\n\n')
    streams.closeAll()
  })

  it('bounds the number of streams with 503 unavailable, and frees a place when a client leaves', () => {
    const { open, streams } = setup({ limits: { total: 2 } })
    const first = open(session({ did: 'dev_1' }))
    open(session({ did: 'dev_2' }))
    expect(() => open(session({ did: 'dev_3' }))).toThrow(VerityError)
    try {
      open(session({ did: 'dev_3' }))
    } catch (error) {
      expect((error as VerityError).code).toBe('unavailable')
      expect((error as VerityError).headers['Retry-After']).toBeDefined()
    }
    first.emit('close')
    expect(streams.size).toBe(1)
    expect(() => open(session({ did: 'dev_3' }))).not.toThrow()
    streams.closeAll()
  })

  it('bounds the streams of one access token and of one client address with 429 rate_limited', () => {
    const { open, streams } = setup({ limits: { perSession: 2, perClient: 3 } })
    const token = session()
    const first = open(token, null, 'a')
    open(token, null, 'b')
    const refusal = (() => {
      try {
        open(token, null, 'c')
        return null
      } catch (error) {
        return error as VerityError
      }
    })()
    expect([refusal?.code, refusal?.headers['Retry-After']]).toEqual(['rate_limited', '5'])
    // Another token of the same session (another second) is another token.
    open(session({ iat: token.iat - 1 }), null, 'c')
    open(session({ did: 'dev_2' }), null, 'x')
    open(session({ did: 'dev_3' }), null, 'x')
    open(session({ did: 'dev_4' }), null, 'x')
    expect(() => open(session({ did: 'dev_5' }), null, 'x')).toThrow(/client address/)
    first.emit('close')
    expect(() => open(token, null, 'a')).not.toThrow()
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

  it('destroys a client that falls 256 KiB behind at once, and frees its place only when the connection is gone', () => {
    const { feed, open, streams } = setup({ limits: { perSession: 1 } })
    const token = session()
    const slow = open(token)
    feed.publish(item(mine, 'fits'))
    expect(slow.text).toContain('fits')
    slow.writableLength = MAX_QUEUED_BYTES - 100
    feed.publish(item(mine, 'one too many'))
    expect(slow.text).not.toContain('one too many')
    expect([slow.destroyed, streams.dropped]).toEqual([true, 1])
    // Destroyed, but until its socket is gone its place stays taken.
    expect(streams.size).toBe(1)
    expect(() => open(token)).toThrow(VerityError)
    slow.gone()
    expect([streams.size, streams.queuedBytes]).toEqual([0, 0])
    expect(() => open(token)).not.toThrow()
    streams.closeAll()
  })

  it('stops delivering as soon as the token no longer holds, and ends the stream', () => {
    let valid = true
    const { feed, open, streams } = setup({ valid: () => valid })
    const res = open()
    feed.publish(item(mine, 'before'))
    valid = false
    feed.publish(item(mine, 'after'))
    expect(res.text).toContain('before')
    expect(res.text).not.toContain('after')
    expect(res.writableEnded).toBe(true)
    expect(streams.size).toBe(0)
  })

  it('ends a stream whose token expired or was revoked within a sweep, with no message to deliver', () => {
    vi.useFakeTimers()
    let valid = true
    const { open, streams } = setup({ valid: () => valid })
    const expiring = open(session({ exp: Math.floor(Date.now() / 1000) + 1 }))
    const revoked = open(session({ did: 'dev_2' }))
    vi.advanceTimersByTime(1_000)
    expect([expiring.writableEnded, revoked.writableEnded]).toEqual([true, false])
    valid = false
    vi.advanceTimersByTime(1_000)
    expect(revoked.writableEnded).toBe(true)
    expect(streams.size).toBe(0)
  })

  it('sweeps at once when asked (a configuration change), without waiting for the timer', () => {
    let valid = true
    const { open, streams } = setup({ valid: () => valid })
    const res = open()
    streams.sweep()
    expect(res.writableEnded).toBe(false)
    valid = false
    streams.sweep()
    expect(res.writableEnded).toBe(true)
  })

  it('replays in pages, letting other work run between them, and at most REPLAY_LIMIT messages', async () => {
    const stored = history(REPLAY_LIMIT + 50)
    const reads: Array<{ afterId: string; limit: number }> = []
    let ranBetweenPages = 0
    const { open, streams } = setup({
      replay: async (afterId, limit) => {
        reads.push({ afterId, limit })
        setImmediate(() => ranBetweenPages++)
        const from = stored.findIndex((m) => m.message.id > afterId)
        return stored.slice(from, from + limit)
      },
    })
    const res = open(session(), newId('msg', Date.now() - 60_000))
    await vi.waitFor(() => expect(res.text).toContain(`"m${REPLAY_LIMIT - 1}"`))
    expect(reads.length).toBe(REPLAY_LIMIT / REPLAY_PAGE)
    for (const read of reads) expect(read.limit).toBeLessThanOrEqual(REPLAY_PAGE)
    expect(ranBetweenPages).toBeGreaterThanOrEqual(reads.length - 1)
    expect(res.text).not.toContain(`"m${REPLAY_LIMIT}"`)
    streams.closeAll()
  })

  it('lets a replay wait for a client that is behind, holding no more than its queue, then go on', async () => {
    const stored = history(30)
    const reads: string[] = []
    const { feed, open, streams } = setup({
      replay: async (afterId, limit) => {
        reads.push(afterId)
        const from = stored.findIndex((m) => m.message.id > afterId)
        return from === -1 ? [] : stored.slice(from, from + limit)
      },
    })
    const res = open(session(), newId('msg', Date.now() - 60_000))
    // The client stops reading after the tenth message.
    const write = res.write.bind(res)
    res.write = (chunk: string) => {
      if (chunk.includes('"m9"')) res.writableLength = 100 * 1024
      return write(chunk)
    }
    await vi.waitFor(() => expect(res.text).toContain('"m9"'))
    await new Promise((r) => setTimeout(r, 20))
    expect(res.text).not.toContain('"m10"')
    // Live messages wait behind the replay, within the same bound.
    const live = item(mine, 'live')
    feed.publish(live)
    expect(streams.queuedBytes).toBe(100 * 1024 + eventFrame(live).length)
    res.writableLength = 0
    res.emit('drain')
    await vi.waitFor(() => expect(res.text).toContain('"live"'))
    const bodies = [...res.text.matchAll(/"body":"([^"]+)"/g)].map((m) => m[1])
    expect(bodies).toEqual([...stored.map((m) => m.message.body), 'live'])
    // Read again from the last message written, not from the start.
    expect(reads[1]).toBe(stored[9]!.message.id)
    streams.closeAll()
  })
})
