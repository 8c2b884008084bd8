import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, backendEnv } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { VERITY_BIN } from './support/run-cli.js'

interface Cluster {
  child: ChildProcess
  url: string
  stdout: () => string
  stderr: () => string
  exited: Promise<number | null>
}

const spawned: ChildProcess[] = []

/** `verity serve --workers N` as a user runs it; resolves once the primary says it is listening. */
function spawnCluster(args: string[], env: Record<string, string>): Promise<Cluster> {
  const child = spawn(process.execPath, [VERITY_BIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  spawned.push(child)
  let stdout = ''
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString()
      const line = stdout.split('\n').find((l) => l.includes('verity is listening') && l.includes('"workers"'))
      if (line) resolve({ child, url: JSON.parse(line).url, stdout: () => stdout, stderr: () => stderr, exited })
    })
    void exited.then((code) => reject(Object.assign(new Error(`serve exited early (${code}): ${stderr}`), { code, stderr })))
  })
}

/** One request on its own connection, so that the workers take turns (round robin). */
function fresh(url: string, method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<{ status: number; body: any }> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body)
  const headers: Record<string, string> = {}
  if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
  if (options.token) headers.authorization = `Bearer ${options.token}`
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text += d.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'verity-workers-'))
})
// Whatever happens in a test, no server outlives it (workers exit when their primary dies).
afterEach(() => {
  for (const child of spawned.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('verity serve --workers 2', () => {
  it('prints the generated admin key once, keeps the workers in step, and drains them on SIGTERM', async () => {
    const cluster = await spawnCluster(['--workers', '2', '--port', '0', '--data-dir', join(dir, 'a')], {})
    try {
      // The banner comes from the primary, once; the URL is printed once by the primary.
      expect(cluster.stderr().match(/vak_[\w-]{43}/g)).toHaveLength(1)
      const key = /vak_[\w-]{43}/.exec(cluster.stderr())![0]
      const lines = cluster.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l))
      const workerLines = lines.filter((l) => l.msg === 'verity is listening' && l.worker !== undefined)
      expect(new Set(workerLines.map((l) => l.worker)).size).toBe(2)
      const workerPids: number[] = workerLines.map((l) => l.pid)
      expect(workerLines.every((l) => l.url === cluster.url)).toBe(true)

      const admin = (method: string, path: string, body?: unknown) => fresh(cluster.url, method, path, { body, token: key })
      const created = await admin('POST', '/admin/v1/apps', { name: 'Workers', environment: 'production' })
      expect(created.status).toBe(201)
      const appId: string = created.body.app.id
      const secret: string = created.body.secrets.ios.value

      // The app exists in every worker as soon as the admin call has answered.
      for (let i = 0; i < 6; i++) {
        const res = await fresh(cluster.url, 'POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios', user_id: `u${i}`, user_hash: hmacHex(secret, `u${i}`) } })
        expect(res.status).toBe(200)
        expect(res.body.user.verified).toBe(true)
        const me = await fresh(cluster.url, 'GET', '/v1/messenger/me', { token: res.body.access_token })
        expect(me.status).toBe(200)
      }

      // So does a rotated secret, and a revoked one is gone everywhere.
      const rotated = await admin('POST', `/admin/v1/apps/${appId}/platforms/ios/secrets`)
      expect(rotated.status).toBe(201)
      const next: string = rotated.body.secret.value
      for (let i = 0; i < 4; i++) {
        const res = await fresh(cluster.url, 'POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios', user_id: 'rotated', user_hash: hmacHex(next, 'rotated') } })
        expect(res.status).toBe(200)
        expect(res.body.user.verified).toBe(true)
      }
      const oldId: string = created.body.secrets.ios.id
      expect((await admin('DELETE', `/admin/v1/apps/${appId}/platforms/ios/secrets/${oldId}`)).status).toBe(204)
      expect((await admin('PATCH', `/admin/v1/apps/${appId}/platforms/ios`, { enforced: true })).status).toBe(200)
      for (let i = 0; i < 4; i++) {
        const res = await fresh(cluster.url, 'POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'ios', user_id: `old${i}`, user_hash: hmacHex(secret, `old${i}`) } })
        expect(res.status).toBe(401)
      }

      cluster.child.kill('SIGTERM')
      expect(await cluster.exited).toBe(0)
      expect(workerPids.filter(isRunning)).toEqual([])
    } finally {
      cluster.child.kill('SIGKILL')
    }
  })

  it('fails to start, with exit code 3 and a message, when the port is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const port = (blocker.address() as AddressInfo).port
    try {
      const error = await spawnCluster(['--workers', '2', '--port', String(port), '--data-dir', join(dir, 'b')], { VERITY_ADMIN_KEY: 'k'.repeat(40) }).then(
        () => null,
        (e: { code: number; stderr: string }) => e,
      )
      expect(error).not.toBeNull()
      expect(error!.code).toBe(3)
      expect(error!.stderr).toMatch(/EADDRINUSE|in use/i)
    } finally {
      blocker.close()
    }
  })
})

describe.each(BACKENDS)('the failure limit under serve --workers 2 on %s', (backend) => {
  it('exactly VERITY_FAILURE_LIMIT refusals across both workers, then 429; a valid proof still passes', async () => {
    const adminKey = 'w'.repeat(40)
    const env = { VERITY_FAILURE_LIMIT: '4', VERITY_ADMIN_KEY: adminKey, ...(await backendEnv(backend)) }
    const cluster = await spawnCluster(['--workers', '2', '--port', '0', '--data-dir', join(dir, `limit-${backend}`)], env)
    try {
      const admin = (method: string, path: string, body?: unknown) => fresh(cluster.url, method, path, { body, token: adminKey })
      const created = await admin('POST', '/admin/v1/apps', { name: 'Limit', environment: 'production' })
      expect(created.status).toBe(201)
      const appId: string = created.body.app.id
      const secret: string = created.body.secrets.web.value
      expect((await admin('PATCH', `/admin/v1/apps/${appId}/platforms/web`, { enforced: true })).status).toBe(200)

      // At once, each on its own connection, so both workers take a share.
      const wrong = { app_id: appId, platform: 'web', user_id: 'mallory', user_hash: 'f'.repeat(64) }
      const answers = await Promise.all(Array.from({ length: 12 }, () => fresh(cluster.url, 'POST', '/v1/messenger/auth', { body: wrong })))
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).toEqual([...Array(4).fill(401), ...Array(8).fill(429)])
      // And one at a time afterwards: still 429 on every worker.
      for (let i = 0; i < 4; i++) expect((await fresh(cluster.url, 'POST', '/v1/messenger/auth', { body: wrong })).status).toBe(429)
      // The user's own valid proof passes on every worker.
      for (let i = 0; i < 4; i++) {
        const valid = await fresh(cluster.url, 'POST', '/v1/messenger/auth', { body: { ...wrong, user_hash: hmacHex(secret, 'mallory') } })
        expect(valid.status).toBe(200)
        expect(valid.body.user.verified).toBe(true)
      }
    } finally {
      cluster.child.kill('SIGKILL')
    }
  })
})
