import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // A user signed out everywhere: tokens of theirs issued before `signed_out_before` are refused.
  // `user_key` is the statistics' digest of the namespaced identity, never the identifier itself.
  // `revision` is the configuration revision of the sign-out, so every instance's config cache
  // loads only what changed (storage/sign-out-repository.ts).
  await db.schema
    .createTable('sign_outs')
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
    .addColumn('user_key', 'text', (c) => c.notNull())
    .addColumn('signed_out_before', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('sign_outs_pk', ['app_id', 'user_key'])
    .execute()
  await db.schema.createIndex('sign_outs_revision').on('sign_outs').column('revision').execute()
  await db.schema.createIndex('sign_outs_before').on('sign_outs').column('signed_out_before').execute()
  // Retention prunes across apps by age, a small batch at a time: each batch must find its rows
  // through an index, not a scan of every app's rows.
  await db.schema.createIndex('failures_at').on('failures').column('at').execute()
  await db.schema.createIndex('user_attempts_last_at').on('user_attempts').column('last_at').execute()
}
