import type { Platform } from '../verification/platforms.js'
import type { Environment } from './app-repository.js'
import type { StorageTransaction } from './transaction.js'

/** A new app's platform with its first secret, sealed (AppRepository.sealSecret). */
export interface NewPlatformSecret {
  readonly platform: Platform
  readonly secretId: string
  readonly ciphertext: string
}

/** Writes of apps, platforms and secrets, inside the caller's configuration change (ConfigChanges.change). */
export const appRows = {
  async insertApp(trx: StorageTransaction, app: { id: string; name: string; environment: Environment; at: string; revision: number; platforms: readonly NewPlatformSecret[] }): Promise<void> {
    await trx.insertInto('apps').values({ id: app.id, name: app.name, environment: app.environment, created_at: app.at, revision: app.revision }).execute()
    for (const { platform, secretId, ciphertext } of app.platforms) {
      await trx.insertInto('platforms').values({ app_id: app.id, platform, enforced: 0, updated_at: app.at }).execute()
      await appRows.insertSecret(trx, { id: secretId, appId: app.id, platform, ciphertext, at: app.at })
    }
  },

  async setEnforced(trx: StorageTransaction, appId: string, platform: Platform, enforced: boolean, at: string): Promise<void> {
    await trx.updateTable('platforms').set({ enforced: enforced ? 1 : 0, updated_at: at }).where('app_id', '=', appId).where('platform', '=', platform).execute()
  },

  async insertSecret(trx: StorageTransaction, secret: { id: string; appId: string; platform: Platform; ciphertext: string; at: string }): Promise<void> {
    await trx
      .insertInto('secrets')
      .values({ id: secret.id, app_id: secret.appId, platform: secret.platform, ciphertext: secret.ciphertext, created_at: secret.at, revoked_at: null, last_used_at: null })
      .execute()
  },

  /** The platform's secrets with when each was revoked (null: active), read inside the change. */
  async secretStates(trx: StorageTransaction, appId: string, platform: Platform): Promise<Array<{ id: string; revokedAt: string | null }>> {
    const rows = await trx.selectFrom('secrets').select(['id', 'revoked_at']).where('app_id', '=', appId).where('platform', '=', platform).execute()
    return rows.map((r) => ({ id: r.id, revokedAt: r.revoked_at }))
  },

  async revokeSecret(trx: StorageTransaction, secretId: string, at: string): Promise<void> {
    await trx.updateTable('secrets').set({ revoked_at: at }).where('id', '=', secretId).execute()
  },
}
