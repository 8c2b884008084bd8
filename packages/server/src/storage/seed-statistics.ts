import { CompiledQuery, type Kysely } from 'kysely'
import { FlushStatements } from './flush-statements.js'
import { isPostgres } from './notify.js'
import type { Database } from './schema.js'
import { CountSums, dailyDeltas, rolloutDeltas } from './statistics-counts.js'
import type { AttemptWrite } from './statistics-repository.js'
import { addCounts } from './statistics-writes.js'

/** Users per insert (11 parameters each: within SQLite's and PostgreSQL's limits). */
const SEED_ROWS_PER_STATEMENT = 500
/** Inserts per transaction: one commit per 10,000 users. */
const SEED_STATEMENTS_PER_TRANSACTION = 20

/**
 * PostgreSQL: the users of one transaction as column arrays (every key new, so a plain insert).
 * PostgreSQL parses and plans 5,500 parameters of multi-row VALUES slower than it inserts the rows;
 * JSON (json_to_recordset) and COPY were slower here, or no faster.
 */
const UNNEST_INSERT =
  'insert into "user_attempts" ("app_id", "platform", "user_key", "last_at", "outcome", "app_version", "sdk_version", "secret_id", "proven_at", "proven_app_version", "proven_secret_id") ' +
  'select $1, $2, * from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])'

/**
 * Writes the statistics of many new users of one app and platform at once: the same rows and the
 * same counts as the statistics flush would after their attempts (each user's state is their latest
 * attempt and latest proof), without reading anything back, for benchmarks and imports. Every key
 * must be new to the app and platform (one already stored fails the load, after the statements
 * before it), and nothing else may write its statistics meanwhile. The counts are written last, once
 * every user is. Returns the number of users written.
 */
export async function bulkSeedStatistics(db: Kysely<Database>, appId: string, platform: string, users: Iterable<AttemptWrite>): Promise<number> {
  const statements = new FlushStatements(db)
  const postgres = isPostgres(db)
  // Summed as they come: the counts are a few rows per day and version, whatever the users.
  const sums = new CountSums()
  let batch: AttemptWrite[] = []
  let transaction: AttemptWrite[][] = []
  let written = 0
  // PostgreSQL: the insert in flight. One statement is one transaction; it is sent before the next
  // users are gathered, so the server inserts them while this thread computes the next ones.
  let inFlight: Promise<unknown> = Promise.resolve()
  const commit = async (): Promise<void> => {
    if (transaction.length === 0) return
    const parts = transaction
    transaction = []
    if (postgres) {
      await inFlight
      const users = parts.flat()
      const column = (pick: (u: AttemptWrite) => string | null) => users.map(pick)
      inFlight = db.executeQuery(
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
      // Its failure is thrown by the next await of it; until then it is not unhandled.
      inFlight.catch(() => undefined)
      // A turn of the event loop: the pool hands over a connection and the statement leaves.
      await new Promise((resolve) => setImmediate(resolve))
      return
    }
    await db.transaction().execute(async (trx) => {
      for (const part of parts) {
        const parameters: unknown[] = []
        for (const { userKey, state: s } of part) {
          parameters.push(appId, platform, userKey, s.lastAt, s.outcome, s.appVersion, s.sdkVersion, s.secretId, s.provenAt, s.provenAppVersion, s.provenSecretId)
        }
        await trx.executeQuery(CompiledQuery.raw(statements.insertNewAttempts(part.length), parameters))
      }
    })
  }
  for (const user of users) {
    for (const d of rolloutDeltas(null, user.state)) sums.add(d)
    for (const d of dailyDeltas(null, user.state, user.state)) sums.add(d)
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
  await inFlight
  await db.transaction().execute((trx) => addCounts(trx, statements, appId, platform, sums.deltas()))
  return written
}
