// Every identity-token login records what the token signed. Signing the same again writes
// nothing (on SQLite each write is a commit to disk on the request path); a change is written.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseStorageConfig } from '../src/config/server-config.js'
import { openVerityData, type VerityData } from '../src/runtime/open-verity-data.js'
import { openAppAdmin } from '../src/runtime/open-app-admin.js'
import { UserRepository, type UserIdentity } from '../src/storage/user-repository.js'
import { backendEnv, BACKENDS } from './support/backends.js'

const T0 = Date.parse('2026-03-01T10:00:00.000Z')
const iso = (ms: number) => new Date(ms).toISOString()

describe.each(BACKENDS)('signed attributes on %s', (backend) => {
  let dir: string
  let data: VerityData
  let users: UserRepository
  let user: UserIdentity

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-signed-'))
    data = await openVerityData(parseStorageConfig({ dataDir: dir }, await backendEnv(backend)))
    const admin = openAppAdmin(data, { onChange: async () => {} })
    const { app } = await admin.createApp({ name: 'Signed', environment: 'test' }, 'test')
    users = new UserRepository(data.db)
    user = { appId: app.id, userKey: 'user:alice', userId: 'alice', email: null, emailVerified: false }
  })
  afterAll(async () => {
    await data?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const stored = async () => {
    const row = await users.get(user.appId, user.userKey)
    return [row?.signed_attributes, row?.signed_at, row?.version, row?.email]
  }

  it('writes nothing when a login signs what is stored already, and writes any change', async () => {
    await users.recordSigned(user, '{"plan":"pro"}', iso(T0))
    expect(await stored()).toEqual(['{"plan":"pro"}', iso(T0), 1, null])
    await users.recordSigned(user, '{"plan":"pro"}', iso(T0 + 1_000))
    expect(await stored()).toEqual(['{"plan":"pro"}', iso(T0), 1, null])
    await users.recordSigned(user, '{"plan":"free"}', iso(T0 + 2_000))
    expect(await stored()).toEqual(['{"plan":"free"}', iso(T0 + 2_000), 2, null])
    await users.recordSigned({ ...user, email: 'alice@example.com', emailVerified: true }, '{"plan":"free"}', iso(T0 + 3_000))
    expect(await stored()).toEqual(['{"plan":"free"}', iso(T0 + 3_000), 3, 'alice@example.com'])
    await users.recordSigned(user, '{"plan":"pro"}', iso(T0 + 2_500)) // older than what is stored
    expect(await stored()).toEqual(['{"plan":"free"}', iso(T0 + 3_000), 3, 'alice@example.com'])
  })
})
