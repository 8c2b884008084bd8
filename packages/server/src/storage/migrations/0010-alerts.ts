import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Alerts for admins: failure spikes and exposed secrets. Kept so they survive restarts, and
  // bounded (the newest 1,000). `once_key` makes "once per secret" hold across instances and
  // restarts: a second insert with the same key is ignored.
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('once_key', 'text', (c) => c.unique())
    .execute()
  await db.schema.createIndex('alerts_platform_type').on('alerts').columns(['app_id', 'platform', 'type', 'created_at']).execute()
}
