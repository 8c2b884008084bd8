import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // One row per user and platform: their latest attempt. The latest attempt overall, when inside
  // the window, is the latest attempt in the window, so the rollout is exact with O(users) rows.
  await db.schema
    .createTable('user_attempts')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('user_key', 'text', (c) => c.notNull())
    .addColumn('last_at', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('app_version', 'text')
    .addColumn('sdk_version', 'text')
    .addColumn('secret_id', 'text')
    .addPrimaryKeyConstraint('user_attempts_pk', ['app_id', 'platform', 'user_key'])
    .execute()
  await db.schema.createIndex('user_attempts_window').on('user_attempts').columns(['app_id', 'platform', 'last_at']).execute()
  await db.schema
    .createTable('failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('email', 'text')
    .addColumn('app_version', 'text')
    .addColumn('refused', 'integer', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('diagnosis', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('failures_app').on('failures').columns(['app_id', 'id']).execute()
}
