import { Migrator, type MigrationResult } from 'kysely'
import type { Kysely } from 'kysely'
import { MIGRATIONS } from './migrations/index.js'
import type { Database } from './schema.js'

export interface MigrationReport {
  readonly applied: readonly string[]
  readonly error: unknown
}

/** Whether Verity's tables exist in this database (a migration has ever run). */
export async function hasVeritySchema(db: Kysely<Database>): Promise<boolean> {
  const tables = await db.introspection.getTables()
  return tables.some((t) => t.name === 'verity_migrations')
}

/** Applies pending migrations; reports instead of throwing, so the CLI can say what it applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'verity_migrations',
    migrationLockTableName: 'verity_migrations_lock',
  })
  const { error, results } = await migrator.migrateToLatest()
  const applied = (results ?? []).filter((r: MigrationResult) => r.status === 'Success').map((r) => r.migrationName)
  return { applied, error }
}
