// Creates the benchmark's data through Verity's own storage layer and services (the built dist),
// the way `verity apps create` does, so the server finds ordinary data: encrypted secrets, audit
// events, configuration revisions.
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'

const DIST = new URL('../../packages/server/dist/', import.meta.url)
const load = (path) => import(new URL(path, DIST).href)

export const hmacHex = (secret, message) => createHmac('sha256', secret).update(message, 'utf8').digest('hex')

async function openData(dataDir) {
  const [{ openVerityData }, { AppAdmin }, { parseStorageConfig }] = await Promise.all([
    load('runtime/open-verity-data.js'),
    load('services/app-admin.js'),
    load('config/server-config.js'),
  ])
  const data = await openVerityData(parseStorageConfig({ dataDir }, {}))
  const admin = new AppAdmin({ db: data.db, apps: data.apps, onChange: async () => {} })
  return { data, admin }
}

/**
 * One app, set up for every single-app scenario:
 *  - ios: one secret, not enforced (verified and anonymous sessions);
 *  - android: one secret, enforced (refusals);
 *  - web: three active secrets (rotated twice), not enforced.
 */
export async function seedSmall(parent) {
  const dataDir = mkdtempSync(join(parent, 'small-'))
  const { data, admin } = await openData(dataDir)
  try {
    const { app, secrets } = await admin.createApp({ name: 'Bench app', environment: 'production' }, 'bench')
    await admin.setEnforced(app.id, 'android', true, 'bench')
    await admin.rotateSecret(app.id, 'web', 'bench')
    await admin.rotateSecret(app.id, 'web', 'bench')
    const web = await admin.listSecrets(app.id, 'web', 'bench')
    if (web.length !== 3) throw new Error(`expected 3 web secrets, found ${web.length}`)
    // verifyUserHash tries the active secrets in id order (ids are time-ordered, oldest first), so
    // the secret with the greatest id is tried last: a hash made with it runs all three HMACs.
    const lastTried = [...web].sort((a, b) => (a.id < b.id ? -1 : 1))[2]
    return {
      dataDir,
      appId: app.id,
      secrets: { ios: secrets.ios.value, android: secrets.android.value, web: secrets.web.value },
      webLastTried: lastTried.value,
    }
  } finally {
    await data.close()
  }
}

/** `count` apps (one secret per platform each); returns the ids and ios secrets of a spread of them. */
export async function seedMany(parent, count, keep) {
  const dataDir = mkdtempSync(join(parent, 'many-'))
  const { data, admin } = await openData(dataDir)
  try {
    // Only for seeding, on this connection: no fsync per app (the server opens the file as usual).
    await sql`PRAGMA synchronous = OFF`.execute(data.db)
    const apps = []
    const every = Math.max(1, Math.floor(count / keep))
    for (let i = 0; i < count; i++) {
      const { app, secrets } = await admin.createApp({ name: `Bench app ${i}`, environment: 'production' }, 'bench')
      if (i % every === 0 && apps.length < keep) apps.push({ appId: app.id, secret: secrets.ios.value })
    }
    return { dataDir, apps }
  } finally {
    await data.close()
  }
}

export function randomTag() {
  return randomBytes(4).toString('hex')
}
