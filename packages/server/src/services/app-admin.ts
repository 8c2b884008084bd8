import type { Kysely } from 'kysely'
import { newId, newPlatformSecret } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { AppRepository, Environment, StoredApp } from '../storage/app-repository.js'
import { actorName, appendAuditEvent, changeConfig, type Actor } from '../storage/config-change.js'
import { deleteAppDataInBatches, deleteAppRows, deleteAppStatistics } from '../storage/delete-app-rows.js'
import type { Database } from '../storage/schema.js'
import type { WebhookEvents } from '../webhooks/webhook-events.js'
import { PLATFORMS, type Platform } from '../verification/platforms.js'
import { appView, platformView, secretView, type AppView, type PlatformView, type SecretView } from './admin-views.js'
import { sweepLate, type LateSweepMode } from './late-sweep.js'
import { decodeCursor, nextCursor, pageSize } from './pagination.js'
import { computeRollout, rolloutDays, type Rollout } from './rollout.js'
import { StatisticsRepository } from '../storage/statistics-repository.js'

export const APP_ID_PATTERN = /^app_[0-9a-z]{26}$/

export interface AppAdminDeps {
  readonly db: Kysely<Database>
  readonly apps: AppRepository
  /** Called after every committed write, so this process serves the change at once. */
  readonly onChange: () => Promise<void>
  readonly now?: () => Date
  /** Writes this process's buffered statistics, so that a deletion finds them in storage. */
  readonly flushStatistics?: () => Promise<void>
  /** The second sweep of statistics written late after a deletion (services/late-sweep.ts). */
  readonly lateSweep?: LateSweepMode
  readonly onLateSweepError?: (error: unknown) => void
  /** Queues webhook events inside each change's transaction. */
  readonly webhookEvents?: WebhookEvents
}

/**
 * Apps, platforms and secrets: every configuration change goes through here, from the admin API
 * and the CLI alike, each in one transaction with its audit event.
 */
export class AppAdmin {
  readonly #deps: AppAdminDeps
  readonly #now: () => Date

  constructor(deps: AppAdminDeps) {
    this.#deps = deps
    this.#now = deps.now ?? (() => new Date())
  }

  async createApp(input: { name: string; environment: Environment }, actor: Actor): Promise<{ app: AppView; secrets: Record<Platform, SecretView> }> {
    const now = this.#now()
    const at = now.toISOString()
    const appId = newId('app', now.getTime())
    await changeConfig(this.#deps.db, { actor, action: 'app.created', appId, details: { name: input.name, environment: input.environment } }, now, async (trx, revision) => {
      await trx.insertInto('apps').values({ id: appId, name: input.name, environment: input.environment, created_at: at, revision }).execute()
      for (const platform of PLATFORMS) {
        await trx.insertInto('platforms').values({ app_id: appId, platform, enforced: 0, updated_at: at }).execute()
        const secretId = newId('sec', now.getTime())
        const ciphertext = this.#deps.apps.sealSecret(appId, platform, secretId, newPlatformSecret())
        await trx.insertInto('secrets').values({ id: secretId, app_id: appId, platform, ciphertext, created_at: at, revoked_at: null, last_used_at: null }).execute()
      }
    })
    await this.#deps.onChange()
    const app = await this.#require(appId)
    const secrets = Object.fromEntries(
      PLATFORMS.map((p) => [p, secretView(app.secrets.find((s) => s.platform === p)!)]),
    ) as Record<Platform, SecretView>
    return { app: appView(app), secrets }
  }

  async listApps(options: { limit?: number; cursor?: string }): Promise<{ apps: AppView[]; next_cursor: string | null }> {
    const limit = pageSize(options.limit)
    const after = decodeCursor(options.cursor, APP_ID_PATTERN)
    const apps = await this.#deps.apps.page(limit, after)
    return { apps: apps.map(appView), next_cursor: nextCursor(apps, limit) }
  }

  async getApp(appId: string): Promise<AppView> {
    return appView(await this.#require(appId))
  }

  async setEnforced(appId: string, platform: Platform, enforced: boolean, actor: Actor): Promise<PlatformView> {
    const now = this.#now()
    await this.#require(appId)
    await changeConfig(this.#deps.db, { actor, action: enforced ? 'platform.enforced' : 'platform.unenforced', appId, platform }, now, async (trx) => {
      await trx.updateTable('platforms').set({ enforced: enforced ? 1 : 0, updated_at: now.toISOString() }).where('app_id', '=', appId).where('platform', '=', platform).execute()
      await this.#deps.webhookEvents?.emit(trx, enforced ? 'platform.enforced' : 'platform.unenforced', { app_id: appId, platform, actor: actorName(actor) }, now)
    })
    await this.#deps.onChange()
    return platformView(await this.#require(appId), platform)
  }

  /** Secret values leave the server only here (and at creation); each read is audited. */
  async listSecrets(appId: string, platform: Platform, actor: Actor): Promise<SecretView[]> {
    const app = await this.#require(appId)
    await appendAuditEvent(this.#deps.db, { actor, action: 'secrets.viewed', appId, platform }, this.#now())
    return app.secrets.filter((s) => s.platform === platform && s.revokedAt === null).map(secretView)
  }

  /** Adds a secret; earlier ones stay valid until revoked, so apps can move over without downtime. */
  async rotateSecret(appId: string, platform: Platform, actor: Actor): Promise<SecretView> {
    const now = this.#now()
    await this.#require(appId)
    const secretId = newId('sec', now.getTime())
    const ciphertext = this.#deps.apps.sealSecret(appId, platform, secretId, newPlatformSecret())
    await changeConfig(this.#deps.db, { actor, action: 'secret.created', appId, platform, target: secretId }, now, async (trx) => {
      await trx.insertInto('secrets').values({ id: secretId, app_id: appId, platform, ciphertext, created_at: now.toISOString(), revoked_at: null, last_used_at: null }).execute()
      await this.#deps.webhookEvents?.emit(trx, 'secret.created', { app_id: appId, platform, secret_id: secretId, actor: actorName(actor) }, now)
    })
    await this.#deps.onChange()
    const app = await this.#require(appId)
    return secretView(app.secrets.find((s) => s.id === secretId)!)
  }

  /**
   * Revokes a secret, and with it the access tokens it verified. Never the last active one.
   * Revoking a revoked secret changes and records nothing (the API answers 204 again); the answer
   * says when it was revoked, so that the CLI can tell a person the id names no active secret.
   */
  async revokeSecret(appId: string, platform: Platform, secretId: string, actor: Actor): Promise<{ readonly alreadyRevokedAt: string | null }> {
    const now = this.#now()
    const app = await this.#require(appId)
    const known = app.secrets.find((s) => s.id === secretId && s.platform === platform)
    if (!known) throw new VerityError('not_found', `This ${platform} platform has no secret with this id.`)
    if (known.revokedAt !== null) return { alreadyRevokedAt: known.revokedAt }
    try {
      await this.#revoke(appId, platform, secretId, actor, now)
    } catch (error) {
      // Another writer revoked it in between: the same answer, and no second audit event.
      if (error instanceof AlreadyRevoked) return { alreadyRevokedAt: error.at }
      throw error
    }
    await this.#deps.onChange()
    return { alreadyRevokedAt: null }
  }

  async #revoke(appId: string, platform: Platform, secretId: string, actor: Actor, now: Date): Promise<void> {
    await changeConfig(this.#deps.db, { actor, action: 'secret.revoked', appId, platform, target: secretId }, now, async (trx) => {
      const rows = await trx.selectFrom('secrets').select(['id', 'revoked_at']).where('app_id', '=', appId).where('platform', '=', platform).execute()
      const target = rows.find((r) => r.id === secretId)
      if (!target) throw new VerityError('not_found', `This ${platform} platform has no secret with this id.`)
      if (target.revoked_at !== null) throw new AlreadyRevoked(target.revoked_at)
      if (rows.filter((r) => r.revoked_at === null).length === 1) throw new VerityError('last_active_secret')
      await trx.updateTable('secrets').set({ revoked_at: now.toISOString() }).where('id', '=', secretId).execute()
      await this.#deps.webhookEvents?.emit(trx, 'secret.revoked', { app_id: appId, platform, secret_id: secretId, actor: actorName(actor) }, now)
    })
  }

  /**
   * Deletes an app and everything it holds; its tokens stop as soon as the config caches forget it
   * (at once here, within 2 s elsewhere). `confirm` must repeat the id: a deletion cannot be undone.
   * The audit log keeps its history, the deletion included.
   */
  async deleteApp(appId: string, confirm: string | undefined, actor: Actor): Promise<void> {
    const app = await this.#require(appId)
    if (confirm !== appId) {
      throw new VerityError('confirmation_required', `Deleting an app removes its secrets, users, conversations, statistics and failures for good. Confirm with ?confirm=${appId}.`)
    }
    await this.#deps.flushStatistics?.()
    await deleteAppDataInBatches(this.#deps.db, appId)
    const now = this.#now()
    await changeConfig(this.#deps.db, { actor, action: 'app.deleted', appId, details: { name: app.name, environment: app.environment } }, now, (trx) => deleteAppRows(trx, appId))
    await this.#deps.onChange()
    await sweepLate(this.#deps.lateSweep ?? 'background', () => deleteAppStatistics(this.#deps.db, appId), this.#deps.onLateSweepError)
  }

  /** Who would be refused if this platform were enforced now (API.md, Rollout). */
  async rollout(appId: string, platform: Platform, days?: number): Promise<Rollout> {
    const window = rolloutDays(days)
    return computeRollout(new StatisticsRepository(this.#deps.db), await this.#require(appId), platform, window, this.#now())
  }

  async #require(appId: string): Promise<StoredApp> {
    const app = APP_ID_PATTERN.test(appId) ? await this.#deps.apps.get(appId) : null
    if (!app) throw new VerityError('app_not_found')
    return app
  }
}

/** Thrown inside the revocation's transaction to roll it back (its audit event included). */
class AlreadyRevoked extends Error {
  readonly at: string
  constructor(at: string) {
    super('already revoked')
    this.at = at
  }
}
