import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Whether the email beside an identity was proven (hashed alone, or signed by an identity token)
  // or only claimed (sent beside a user_id that the hash proved). Teammates see the difference.
  for (const table of ['conversations', 'users']) {
    await db.schema.alterTable(table).addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  }
  // Rows written before: only an email-only identity was certainly proven (its hash was over the
  // email). An email beside a user id may have been a mere claim, so it stays unproven.
  await db.updateTable('conversations').set({ email_verified: 1 }).where('trust', '=', 'verified').where('user_id', 'is', null).where('email', 'is not', null).execute()
  await db.updateTable('users').set({ email_verified: 1 }).where('user_key', 'like', sql.lit('email:%')).where('email', 'is not', null).execute()

  // The rollout keeps each user's latest valid proof beside their latest attempt: a proof is not
  // undone by an unproven attempt that anyone could send in the user's name (services/rollout.ts).
  await db.schema.alterTable('user_attempts').addColumn('proven_at', 'text').execute()
  await db.schema.alterTable('user_attempts').addColumn('proven_app_version', 'text').execute()
  await db.schema.alterTable('user_attempts').addColumn('proven_secret_id', 'text').execute()
  await db
    .updateTable('user_attempts')
    .set((eb) => ({ proven_at: eb.ref('last_at'), proven_app_version: eb.ref('app_version'), proven_secret_id: eb.ref('secret_id') }))
    .where('outcome', '=', 'verified')
    .execute()
}
