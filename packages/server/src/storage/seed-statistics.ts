import { CompiledQuery, type Kysely } from 'kysely'
import { FlushStatements } from './flush-statements.js'
import { isPostgres } from './notify.js'
import type { Database } from './schema.js'
import { dailyDeltas, netDeltas, rolloutDeltas, type CountDelta } from './statistics-counts.js'
import type { AttemptWrite } from './statistics-repository.js'
import { addCounts } from './statistics-writes.js'

/** Users per insert (11 parameters each: within SQLite's and PostgreSQL's limits). */
const SEED_ROWS_PER_STATEMENT = 500
/** Inserts per transaction: one commit per 10,000 users. */
const SEED_STATEMENTS_PER_TRANSACTION = 20

/** PostgreSQL: the users of one transaction as column arrays (every key new, so a plain insert). */
const UNNEST_INSERT =
  'insert into "user_attempts" ("app_id", "platform", "user_key", "last_at", "outcome", "app_version", "sdk_version", "secret_id", "proven_at", "proven_app_version", "proven_secret_id") ' +
  'select $1, $2, * from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])'

/**
 * Writes the statistics of many new users of one app and platform at once: the same rows and the
 * same counts as the statistics flush would after their attempts (each user's state is their latest
 * attempt and latest proof), without reading anything back, for benchmarks and imports. Every key
 * must be new to the app and platform, and nothing else may write its statistics meanwhile.
 * Returns the number of users written.
 */
export async function bulkSeedStatistics(db: Kysely<Database>, appId: string, platform: string, users: Iterable<AttemptWrite>): Promise<number> {
  const statements = new FlushStatements(db)
  const postgres = isPostgres(db)
  const deltas = new Map<string, CountDelta>()
  let batch: AttemptWrite[] = []
  let transaction: AttemptWrite[][] = []
  let written = 0
  const commit = async (): Promise<void> => {
    if (transaction.length === 0) return
    const parts = transaction
    transaction = []
    await db.transaction().execute(async (trx) => {
      if (postgres) {
        // One statement of column arrays: PostgreSQL parses and plans 5,500 parameters of
        // multi-row VALUES slower than it inserts the rows.
        const users = parts.flat()
        const column = (pick: (u: AttemptWrite) => string | null) => users.map(pick)
        await trx.executeQuery(
          CompiledQuery.raw(UNNEST_INSERT, [
            appId,
            platform,
            column((u) => u.userKey),
            column((u) => u.state.lastAt),
            column((u) => u.state.outcome),
            column((u) => u.state.appVersion),
            column((u) => u.state.sdkVersion),
            column((u) => u.state.secretId),
            column((u) => u.state.provenAt),
            column((u) => u.state.provenAppVersion),
            column((u) => u.state.provenSecretId),
          ]),
        )
        return
      }
      for (const part of parts) {
        const parameters: unknown[] = []
        for (const { userKey, state: s } of part) {
          parameters.push(appId, platform, userKey, s.lastAt, s.outcome, s.appVersion, s.sdkVersion, s.secretId, s.provenAt, s.provenAppVersion, s.provenSecretId)
        }
        await trx.executeQuery(CompiledQuery.raw(statements.writeAttempts(part.length), parameters))
      }
    })
  }
  for (const user of users) {
    // Summed as they come: the counts are a few rows per day and version, whatever the users.
    for (const d of netDeltas([...rolloutDeltas(null, user.state), ...dailyDeltas(null, user.state, user.state)])) {
      const id = `${d.series}\u0000${d.day}\u0000${d.key}\u0000${d.outcome}`
      const sum = deltas.get(id)
      const merged = sum === undefined ? d : netDeltas([sum, d])[0]
      if (merged === undefined) deltas.delete(id)
      else deltas.set(id, merged)
    }
    batch.push(user)
    written++
    if (batch.length === SEED_ROWS_PER_STATEMENT) {
      transaction.push(batch)
      batch = []
      if (transaction.length === SEED_STATEMENTS_PER_TRANSACTION) await commit()
    }
  }
  if (batch.length > 0) transaction.push(batch)
  await commit()
  await db.transaction().execute((trx) => addCounts(trx, statements, appId, platform, [...deltas.values()]))
  return written
}
