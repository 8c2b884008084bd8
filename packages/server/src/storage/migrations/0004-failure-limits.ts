import { sql, type Kysely } from 'kysely'
import { isPostgres } from '../notify.js'

export async function up(db: Kysely<any>): Promise<void> {
  // The failure limit shared by every instance on one PostgreSQL (storage/failure-limit-repository.ts).
  // SQLite has no use for it: one machine counts in memory (limits/failure-limit.ts).
  // UNLOGGED: no write-ahead log for counts that matter for a minute; a crash empties the table,
  // which only forgets the last minute's refusals.
  if (!isPostgres(db)) return
  await sql`
    create unlogged table failure_limits (
      key text primary key,
      times bigint[] not null,
      counted boolean not null,
      expires_at bigint not null
    )
  `.execute(db)
  await db.schema.createIndex('failure_limits_expiry').on('failure_limits').column('expires_at').execute()
}
