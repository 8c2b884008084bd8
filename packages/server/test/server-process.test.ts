import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, backendEnv } from './support/backends.js'
import { runVerity } from './support/run-cli.js'
import { spawnServe } from './support/spawn-serve.js'

describe.each(BACKENDS)('verity serve, as a process (%s)', (backend) => {
  let dir: string
  /** The backend's settings: none for SQLite in `dir`, DATABASE_URL and the master key for PostgreSQL. */
  let data: Record<string, string>
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-proc-'))
    data = await backendEnv(backend)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prints a generated admin key once, serves health, readiness and the OpenAPI document', async () => {
    const first = await spawnServe(dir, data)
    try {
      const key = /vak_[\w-]{43}/.exec(first.stderr())?.[0]
      expect(key).toBeDefined()
      expect((await fetch(`${first.url}/healthz`)).status).toBe(200)
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200)
      const apps = await fetch(`${first.url}/admin/v1/apps`, { headers: { authorization: `Bearer ${key}` } })
      expect(apps.status).toBe(200)
      const doc = await (await fetch(`${first.url}/openapi.json`)).json()
      expect(doc.openapi).toBe('3.1.0')
      for (const path of ['/v1/messenger/auth', '/v1/messenger/me', '/admin/v1/apps', '/admin/v1/apps/{app_id}/platforms/{platform}/secrets/{secret_id}', '/admin/v1/audit-log', '/healthz', '/readyz']) {
        expect(Object.keys(doc.paths)).toContain(path)
      }
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!)
      expect(refs.length).toBeGreaterThan(5)
      for (const ref of refs) expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined()
      const authOp = doc.paths['/v1/messenger/auth'].post
      const authBody = doc.components.schemas[authOp.requestBody.content['application/json'].schema.$ref.split('/').pop()]
      expect(Object.keys(authBody.properties)).toEqual(
        expect.arrayContaining(['app_id', 'platform', 'user_id', 'email', 'user_hash', 'identity_token', 'device_id', 'app_version', 'sdk_version']),
      )
      expect(authBody.additionalProperties).toBe(false)
      expect(authBody.properties.user_id).toMatchObject({ type: 'string', maxLength: 255 })
      expect(Object.keys(authOp.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404', '413', '415', '429', '503']))
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)
    } finally {
      first.child.kill('SIGKILL')
    }
    const second = await spawnServe(dir, data)
    try {
      expect(second.stderr()).not.toMatch(/vak_/)
    } finally {
      second.child.kill('SIGTERM')
      await second.exited
    }
  })

  it('on SIGTERM finishes the request in flight, then exits 0', async () => {
    const server = await spawnServe(dir, { ...data, VERITY_ADMIN_KEY: 'k'.repeat(40) })
    try {
      const body = JSON.stringify({ name: 'Created during shutdown', environment: 'production' })
      const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(`${server.url}/admin/v1/apps`, { method: 'POST', headers: { authorization: `Bearer ${'k'.repeat(40)}`, 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
        })
        req.on('error', reject)
        req.write(body.slice(0, 10))
        setTimeout(() => {
          server.child.kill('SIGTERM')
          setTimeout(() => req.end(body.slice(10)), 300)
        }, 200)
      })
      const res = await response
      expect(res.status).toBe(201)
      expect(JSON.parse(res.text).app.name).toBe('Created during shutdown')
      expect(await server.exited).toBe(0)
    } finally {
      server.child.kill('SIGKILL')
    }
    const list = await runVerity(['apps', 'list', '--json'], { env: { VERITY_DATA_DIR: dir, ...data } })
    expect(JSON.parse(list.stdout).apps.map((a: { name: string }) => a.name)).toContain('Created during shutdown')
  })
})

describe('verity serve, misconfigured', () => {
  it('stops at start-up on a misconfiguration, naming the flag and the variable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verity-proc-'))
    const res = await runVerity(['serve'], { env: { VERITY_DATA_DIR: dir, PORT: 'eighty' } })
    expect(res.code).toBe(3)
    expect(res.stderr).toMatch(/--port or PORT/)
    const short = await runVerity(['serve', '--port', '0'], { env: { VERITY_DATA_DIR: dir, VERITY_ADMIN_KEY: 'too-short' } })
    expect(short.code).toBe(3)
    expect(short.stderr).toMatch(/VERITY_ADMIN_KEY/)
    rmSync(dir, { recursive: true, force: true })
  })
})
