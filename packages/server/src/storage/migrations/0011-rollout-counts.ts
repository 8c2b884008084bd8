import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // The rollout and its daily series as counts per day (storage/statistics-counts.ts), kept in step
  // with user_attempts by the statistics writer, so reading them costs O(days × versions) rows
  // whatever the number of users. `key` is a version key ('' for none) or a secret id; `outcome`
  // is '' for the secret series.
  await db.schema
    .createTable('rollout_counts')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('series', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('users', 'integer', (c) => c.notNull())
    .addColumn('last_seen_at', 'text')
    .addPrimaryKeyConstraint('rollout_counts_pk', ['app_id', 'platform', 'series', 'day', 'key', 'outcome'])
    .execute()
  await db.schema.createIndex('rollout_counts_day').on('rollout_counts').column('day').execute()
  // Retention forgets proofs older than it keeps (services/retention.ts): found by this index.
  await db.schema.createIndex('user_attempts_proven').on('user_attempts').column('proven_at').execute()
  // Existing statistics become counts. The daily series starts with each user's latest day, the
  // only day the rows remember.
  const latestVersion = sql`case when app_version is null then '' else 'v' || app_version end`
  const provenVersion = sql`case when proven_app_version is null then '' else 'v' || proven_app_version end`
  const day = (column: string) => sql`substr(${sql.ref(column)}, 1, 10)`
  const insert = (select: ReturnType<typeof sql>) =>
    sql`insert into rollout_counts (app_id, platform, series, day, key, outcome, users, last_seen_at) ${select}`.execute(db)
  await insert(sql`select app_id, platform, 'latest', ${day('last_at')}, ${latestVersion}, outcome, count(*), max(last_at) from user_attempts group by 1, 2, 3, 4, 5, 6`)
  await insert(
    sql`select app_id, platform, 'proven_latest', ${day('proven_at')}, ${latestVersion}, outcome, count(*), null from user_attempts where proven_at is not null group by 1, 2, 3, 4, 5, 6`,
  )
  await insert(
    sql`select app_id, platform, 'proven', ${day('proven_at')}, ${provenVersion}, 'verified', count(*), max(proven_at) from user_attempts where proven_at is not null group by 1, 2, 3, 4, 5, 6`,
  )
  await insert(
    sql`select app_id, platform, 'secret', ${day('proven_at')}, proven_secret_id, '', count(*), null from user_attempts where proven_secret_id is not null group by 1, 2, 3, 4, 5, 6`,
  )
  const dayOutcome = sql`case when proven_at is not null and substr(proven_at, 1, 10) = substr(last_at, 1, 10) then 'verified' else outcome end`
  await insert(sql`select app_id, platform, 'daily', ${day('last_at')}, '', ${dayOutcome}, count(*), null from user_attempts group by 1, 2, 3, 4, 5, 6`)
}
