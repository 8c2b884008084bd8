// Creates the benchmark's data through Verity's own storage layer and services (the built dist),
// the way `verity apps create` does, so the server finds ordinary data: encrypted secrets, audit
// events, configuration revisions.
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { join } from 'node:path'
import { sql } from 'kysely'
import { appAdminModule, openVerityDataModule, serverConfigModule } from './server-modules.js'

export const hmacHex = (secret: string, message: string): string => createHmac('sha256', secret).update(message, 'utf8').digest('hex')

/** Where a server's data lives: a SQLite folder, or a PostgreSQL database with its master key. */
export type DataLocation = { readonly dataDir: string; readonly databaseUrl?: undefined } | { readonly databaseUrl: string; readonly masterKeyHex: string; readonly dataDir?: undefined }

export async function openData(location: DataLocation) {
  const [{ openVerityData }, { openAppAdmin }, { parseStorageConfig }] = await Promise.all([openVerityDataModule(), appAdminModule(), serverConfigModule()])
  const config =
    location.databaseUrl === undefined
      ? parseStorageConfig({ dataDir: location.dataDir }, {})
      : parseStorageConfig({ databaseUrl: location.databaseUrl }, { VERITY_MASTER_KEY: location.masterKeyHex })
  const data = await openVerityData(config)
  const admin = openAppAdmin(data, { onChange: async () => {} })
  return { data, admin }
}

export interface SmallData {
  readonly dataDir: string
  readonly appId: string
  readonly secrets: { readonly ios: string; readonly android: string; readonly web: string }
  /** The web secret that verifyUserHash tries last. */
  readonly webLastTried: string
}

/**
 * One app, set up for every single-app scenario:
 *  - ios: one secret, not enforced (verified and anonymous sessions);
 *  - android: one secret, enforced (refusals);
 *  - web: three active secrets (rotated twice), not enforced.
 */
export async function seedSmall(parent: string): Promise<SmallData> {
  const dataDir = mkdtempSync(join(parent, 'small-'))
  const { data, admin } = await openData({ dataDir })
  try {
    const { app, secrets } = await admin.createApp({ name: 'Bench app', environment: 'production' }, 'bench')
    await admin.setEnforced(app.id, 'android', true, 'bench')
    await admin.rotateSecret(app.id, 'web', 'bench')
    await admin.rotateSecret(app.id, 'web', 'bench')
    const web = await admin.listSecrets(app.id, 'web', 'bench')
    if (web.length !== 3) throw new Error(`expected 3 web secrets, found ${web.length}`)
    // verifyUserHash tries the active secrets in id order (ids are time-ordered, oldest first), so
    // the secret with the greatest id is tried last: a hash made with it runs all three HMACs.
    const lastTried = [...web].sort((a, b) => (a.id < b.id ? -1 : 1))[2]!
    return {
      dataDir,
      appId: app.id,
      secrets: { ios: secrets.ios.value!, android: secrets.android.value!, web: secrets.web.value! },
      webLastTried: lastTried.value!,
    }
  } finally {
    await data.close()
  }
}

export interface ManyData {
  readonly dataDir: string
  readonly apps: ReadonlyArray<{ readonly appId: string; readonly secret: string }>
}

/** `count` apps (one secret per platform each); returns the ids and ios secrets of a spread of them. */
export async function seedMany(parent: string, count: number, keep: number): Promise<ManyData> {
  const dataDir = mkdtempSync(join(parent, 'many-'))
  const { data, admin } = await openData({ dataDir })
  try {
    // Only for seeding, on this connection: no fsync per app (the server opens the file as usual).
    await sql`PRAGMA synchronous = OFF`.execute(data.db)
    const apps: Array<{ appId: string; secret: string }> = []
    const every = Math.max(1, Math.floor(count / keep))
    for (let i = 0; i < count; i++) {
      const { app, secrets } = await admin.createApp({ name: `Bench app ${i}`, environment: 'production' }, 'bench')
      if (i % every === 0 && apps.length < keep) apps.push({ appId: app.id, secret: secrets.ios.value! })
    }
    return { dataDir, apps }
  } finally {
    await data.close()
  }
}

export function randomTag(): string {
  return randomBytes(4).toString('hex')
}
