// buildApp runs the whole request pipeline without a socket: these requests never open a port.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseServerConfig } from '../src/config/server-config.js'
import { buildApp, type VerityApp } from '../src/runtime/build-app.js'
import { openVerityData, type VerityData } from '../src/runtime/open-verity-data.js'
import { ensureAdminKey } from '../src/runtime/start-server.js'
import { BACKENDS, backendEnv } from './support/backends.js'
import { checkReplyAgainstSchema } from './support/reply-schemas.js'
import { TEST_ADMIN_KEY } from './support/test-server.js'

describe.each(BACKENDS)('buildApp without a socket (%s)', (backend) => {
  let dir: string
  let data: VerityData
  let app: VerityApp
  const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}` }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-app-'))
    const config = parseServerConfig({ port: '0', dataDir: dir }, { VERITY_ADMIN_KEY: TEST_ADMIN_KEY, ...(await backendEnv(backend)) })
    data = await openVerityData(config)
    await ensureAdminKey(data, config, () => {})
    app = await buildApp(data, config, { logger: pino({ level: 'silent' }), onReply: checkReplyAgainstSchema, dashboardFolder: null })
  })
  afterAll(async () => {
    await app?.stop()
    await data?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers health and readiness', async () => {
    expect((await app.request('GET', '/healthz')).status).toBe(200)
    const ready = await app.request('GET', '/readyz')
    expect(ready.status).toBe(200)
  })

  it('creates an app, reads it back and lists it, through authentication and validation', async () => {
    const created = await app.request('POST', '/admin/v1/apps', { headers: admin, body: { name: 'In memory', environment: 'test' } })
    expect(created.status).toBe(201)
    const appId = (created.json as { app: { id: string } }).app.id
    const read = await app.request('GET', `/admin/v1/apps/${appId}`, { headers: admin })
    expect(read.status).toBe(200)
    expect(read.json).toMatchObject({ app: { id: appId, name: 'In memory', environment: 'test' } })
    expect(read.headers['x-request-id']).toEqual(expect.any(String))
    const listed = await app.request('GET', '/admin/v1/apps', { headers: admin })
    expect((listed.json as { apps: Array<{ id: string }> }).apps.map((a) => a.id)).toContain(appId)
  })

  it('refuses what a socket client would be refused, with the same codes', async () => {
    const noKey = await app.request('GET', '/admin/v1/apps')
    expect(noKey.status).toBe(401)
    expect(noKey.json).toMatchObject({ error: { code: 'unauthorized' } })
    const badId = await app.request('GET', '/admin/v1/apps/not-an-id', { headers: admin })
    expect(badId.status).toBe(404)
    expect(badId.json).toMatchObject({ error: { code: 'app_not_found' } })
    const badBody = await app.request('POST', '/admin/v1/apps', { headers: { ...admin, 'content-type': 'application/json' }, body: '{"name":' })
    expect(badBody.status).toBe(400)
    expect((badBody.json as { error: { code: string } }).error.code).toMatch(/^invalid_/)
    const unknown = await app.request('GET', '/admin/v1/nothing-here', { headers: admin })
    expect(unknown.status).toBe(404)
  })
})
