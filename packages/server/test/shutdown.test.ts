import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { anonymousSession } from './support/messenger-sessions.js'
import { TEST_ADMIN_KEY } from './support/test-server.js'

const GRACE_MS = 30_000

/** 'closed' when `closing` settles within `ms`, 'still waiting' otherwise. */
function settlesWithin(closing: Promise<void>, ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const waiting = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still waiting'), ms)))
  return Promise.race([closing.then(() => 'closed'), waiting]).finally(() => clearTimeout(timer))
}

describe.each(BACKENDS)('shutdown (%s)', (backend) => {
  it('ends idle connections at once: a cancelled live stream, an idle keep-alive, a socket that never sent a request', async () => {
    const server = await startBackendServer(backend, {}, { shutdownGraceMs: GRACE_MS })
    const app = await server.createApp()
    const session = await anonymousSession(server, app.appId)
    const stream = await fetch(`${server.url}/v1/messenger/events`, { headers: { authorization: `Bearer ${session.token}`, accept: 'text/event-stream' } })
    expect(stream.status).toBe(200)
    const reader = stream.body!.getReader()
    await reader.read()
    await reader.cancel()
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    const bare = connect(server.running.port, '127.0.0.1')
    await new Promise((resolve) => bare.once('connect', resolve))
    const bareClosed = new Promise((resolve) => bare.once('close', resolve))
    bare.resume()
    try {
      // Well inside the grace period: nothing is in flight, so nothing may keep shutdown waiting.
      expect(await settlesWithin(server.close(), GRACE_MS / 3)).toBe('closed')
      await bareClosed
    } finally {
      bare.destroy()
    }
  })

  it('still lets a request in flight finish with its answer', async () => {
    const server = await startBackendServer(backend, {}, { shutdownGraceMs: GRACE_MS })
    const body = JSON.stringify({ name: 'Created during shutdown', environment: 'production' })
    let closing: Promise<void> | undefined
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/admin/v1/apps`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', 'content-length': String(body.length) } }, (response) => {
        let text = ''
        response.on('data', (d: Buffer) => (text += d.toString()))
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }))
      })
      req.on('error', reject)
      req.write(body.slice(0, 10))
      // The server has the request (its headers and part of the body) before shutdown begins.
      server.running.server.once('request', () => {
        closing = server.close()
        setTimeout(() => req.end(body.slice(10)), 200)
      })
    })
    expect(res.status, res.text).toBe(201)
    expect(JSON.parse(res.text).app.name).toBe('Created during shutdown')
    expect(await settlesWithin(closing!, GRACE_MS / 3)).toBe('closed')
  })
})
