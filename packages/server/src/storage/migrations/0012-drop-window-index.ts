import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // The rollout reads rollout_counts (0011); no query reads user_attempts by app, platform and
  // time any more. The index still cost every user's move: a random page rewritten where the old
  // time was, which at a million users was a fifth of the statistics flush's time on SQLite.
  await db.schema.dropIndex('user_attempts_window').ifExists().execute()
}
