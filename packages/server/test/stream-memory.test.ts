import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BACKENDS, backendEnv } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { spawnServe } from './support/spawn-serve.js'
import { openStalledStream, type StalledStream } from './support/stalled-stream.js'

/**
 * Issue 10: many live streams that never read, sent large messages, must not take a server down.
 * The real `verity serve`, in its own process with a 192 MB heap, as an attacker would meet it.
 */

const ADMIN_KEY = 'memory-test-admin-key-0123456789abcdef'
const HEAP_MB = 192
const STREAMS = 300
const PLATFORMS = ['web', 'ios', 'android'] as const
const KIB = 1024
const MIB = 1024 * KIB
/**
 * What the process may reach: what the streams queue lives outside the heap, at most 256 KiB each
 * (75 MiB for 300), and one message's bytes are shared by every stream that takes it; 256 MiB
 * leaves room above what it measures (about 120 MiB). Without the queue bound this flood took the
 * process past its heap and killed it.
 */
const RSS_BOUND = 256 * MIB

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
  if (!match) throw new Error(`no ${name} in /metrics`)
  return Number(match[1])
}

describe.each(BACKENDS)('live streams in a process with a %s database and a 192 MB heap', (backend) => {
  it(`stays up, its memory bounded, while ${STREAMS} streams that never read are sent ~16 KB messages`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verity-memory-'))
    const env = { VERITY_ADMIN_KEY: ADMIN_KEY, VERITY_STREAMS_PER_SESSION: '100', VERITY_STREAMS_PER_CLIENT: '1000', ...(await backendEnv(backend)) }
    const server = await spawnServe(dir, env, [`--max-old-space-size=${HEAP_MB}`])
    const streams: StalledStream[] = []
    try {
      const call = async (method: string, path: string, body?: unknown, token = ADMIN_KEY) => {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
          ...(body !== undefined && { body: JSON.stringify(body) }),
        })
        return { status: res.status, body: (await res.json()) as any }
      }
      const created = await call('POST', '/admin/v1/apps', { name: 'Memory', environment: 'production' })
      expect(created.status).toBe(201)
      const appId: string = created.body.app.id
      // Several tokens of one verified user, so every stream reads every message.
      const tokens: string[] = []
      for (const platform of PLATFORMS) {
        const secret: string = created.body.secrets[platform].value
        const auth = await call('POST', '/v1/messenger/auth', { app_id: appId, platform, user_id: 'memory-user', user_hash: hmacHex(secret, 'memory-user') })
        expect(auth.status).toBe(200)
        tokens.push(auth.body.access_token)
      }
      const conversation = await call('POST', '/v1/messenger/conversations', { body: 'Hello?' }, tokens[0])
      expect(conversation.status).toBe(201)
      const conversationId: string = conversation.body.conversation.id

      for (let i = 0; i < STREAMS; i++) streams.push(await openStalledStream(server.url, tokens[i % tokens.length]!))
      expect(streams.every((s) => s.status === 200)).toBe(true)

      const scrape = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text()
        return {
          rss: metric(text, 'process_resident_memory_bytes'),
          heap: metric(text, 'nodejs_heap_used_bytes'),
          streams: metric(text, 'verity_live_streams'),
          queued: metric(text, 'verity_live_stream_queued_bytes'),
          dropped: metric(text, 'verity_live_streams_dropped_total'),
        }
      }
      expect((await scrape()).streams).toBe(STREAMS)

      const body = 'é'.repeat(8_000) // 16,000 bytes
      let most = { rss: 0, heap: 0, queued: 0 }
      let last = await scrape()
      for (let posted = 0; posted < 600 && last.dropped < STREAMS; posted++) {
        const reply = await call('POST', `/admin/v1/apps/${appId}/conversations/${conversationId}/messages`, { body })
        expect(reply.status).toBe(201)
        if (posted % 10 === 9) {
          last = await scrape()
          most = { rss: Math.max(most.rss, last.rss), heap: Math.max(most.heap, last.heap), queued: Math.max(most.queued, last.queued) }
        }
      }
      last = await scrape()

      expect(server.child.exitCode).toBeNull()
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      // Every stream fell 256 KiB behind and was cut off; none is left holding memory.
      expect([last.dropped, last.streams, last.queued]).toEqual([STREAMS, 0, 0])
      expect(most.queued).toBeGreaterThan(0)
      expect(most.queued).toBeLessThanOrEqual(STREAMS * 256 * KIB)
      expect(most.heap).toBeLessThan(HEAP_MB * MIB)
      expect(most.rss).toBeLessThan(RSS_BOUND)
    } finally {
      for (const stream of streams) stream.close()
      server.child.kill('SIGTERM')
      await server.exited
      rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})
