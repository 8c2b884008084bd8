import { DeviceIds } from '../crypto/device-ids.js'
import { loadMasterKey } from '../crypto/master-key.js'
import { SecretBox } from '../crypto/secret-box.js'
import type { StorageConfig } from '../config/server-config.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, NoDatabaseError } from '../errors/config-error.js'
import { AdminKeyRepository } from '../storage/admin-key-repository.js'
import { AppRepository } from '../storage/app-repository.js'
import { checkMasterKey, holdsMasterKeyCheck } from '../storage/master-key-check.js'
import { hasVeritySchema, migrateToLatest, type MigrationReport } from '../storage/migrate.js'
import { openDatabase, SQLITE_FILE, type OpenDatabase } from '../storage/open-database.js'
import { SigningKeyRepository } from '../storage/signing-key-repository.js'
import { TeammateRepository } from '../storage/teammate-repository.js'
import { TeammateSessionRepository } from '../storage/teammate-session-repository.js'
import { ApiTokenRepository } from '../storage/api-token-repository.js'
import { SecuritySettingsRepository } from '../storage/security-settings-repository.js'
import { WebhookRepository } from '../storage/webhook-repository.js'
import { AuditRepository } from '../storage/audit-repository.js'
import { ConfigChanges } from '../storage/config-change.js'
import { FailureRepository } from '../storage/failure-repository.js'
import { PublicKeyRepository } from '../storage/public-key-repository.js'

/** The data a server or a CLI command works on: storage opened, migrated and unlocked. */
export interface VerityData extends OpenDatabase {
  readonly apps: AppRepository
  readonly signingKeys: SigningKeyRepository
  readonly adminKeys: AdminKeyRepository
  readonly teammates: TeammateRepository
  readonly teammateSessions: TeammateSessionRepository
  readonly apiTokens: ApiTokenRepository
  readonly securitySettings: SecuritySettingsRepository
  /** Seals what must be readable again (TOTP secrets) with the master key. */
  readonly box: SecretBox
  readonly deviceIds: DeviceIds
  readonly webhooks: WebhookRepository
  /** Configuration writes and audit events, each in one transaction. */
  readonly changes: ConfigChanges
  readonly audit: AuditRepository
  readonly failures: FailureRepository
  readonly publicKeys: PublicKeyRepository
  readonly migrations: MigrationReport
}

function noDatabase(location: string, kind: 'SQLite' | 'PostgreSQL'): NoDatabaseError {
  const where = kind === 'SQLite' ? '--data-dir or VERITY_DATA_DIR' : '--database-url or DATABASE_URL'
  return new NoDatabaseError(
    `There is no Verity database at ${location}, and this command creates none. ` +
      `Point at your data with ${where}, or run \`verity migrate\` there to create an empty one.`,
  )
}

/**
 * Opens the database, applies pending migrations (concurrent starters are serialized by the
 * migration lock), proves the master key opens the stored secrets, and makes sure a signing key
 * exists. Everything that can be wrong with the setup is found here, before serving. With
 * `mayCreate: false` (CLI commands other than serve and migrate) it refuses a database that Verity
 * never set up, rather than start an empty one, and a master key, in the wrong place.
 */
export async function openVerityData(config: StorageConfig, options: { mayCreate?: boolean; serving?: boolean } = {}): Promise<VerityData> {
  // Opening SQLite creates its file, so whether there is one is asked first.
  const sqliteFile = join(config.dataDir, SQLITE_FILE)
  if (options.mayCreate === false && !config.databaseUrl && !existsSync(sqliteFile)) throw noDatabase(sqliteFile, 'SQLite')
  const database = openDatabase(config, { backgroundCheckpoints: options.serving === true })
  try {
    if (options.mayCreate === false && config.databaseUrl && !(await hasVeritySchema(database.db))) throw noDatabase(database.location, 'PostgreSQL')
    const migrations = await migrateToLatest(database.db)
    if (migrations.error) throw migrations.error
    // A key file is made only for a database that has never held secrets.
    const initialised = await holdsMasterKeyCheck(database.db)
    const { key, source } = loadMasterKey(config.masterKey, config.dataDir, { mayCreate: !initialised })
    const box = new SecretBox(key)
    await checkMasterKey(database.db, box, source, database.location)
    const signingKeys = new SigningKeyRepository(database.db, box)
    const { keys } = await signingKeys.all()
    if (keys.length === 0) await signingKeys.rotate('system', new Date())
    return {
      ...database,
      apps: new AppRepository(database.db, box),
      signingKeys,
      adminKeys: new AdminKeyRepository(database.db),
      teammates: new TeammateRepository(database.db),
      teammateSessions: new TeammateSessionRepository(database.db),
      apiTokens: new ApiTokenRepository(database.db),
      securitySettings: new SecuritySettingsRepository(database.db),
      box,
      deviceIds: new DeviceIds(key),
      webhooks: new WebhookRepository(database.db, box),
      changes: new ConfigChanges(database.db),
      audit: new AuditRepository(database.db),
      failures: new FailureRepository(database.db),
      publicKeys: new PublicKeyRepository(database.db),
      migrations,
    }
  } catch (error) {
    await database.close().catch(() => {})
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`Cannot open the data at ${database.location}: ${(error as Error).message}`)
  }
}
