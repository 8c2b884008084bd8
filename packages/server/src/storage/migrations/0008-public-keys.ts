import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Customer-held public keys per platform: a JWK (stored as its public members, in the clear,
  // since nothing in it is secret) or a JWKS URL that Verity fetches.
  await db.schema
    .createTable('public_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('kid', 'text')
    .addColumn('algorithm', 'text')
    .addColumn('jwk', 'text')
    .addColumn('jwks_url', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('public_keys_app_platform').on('public_keys').columns(['app_id', 'platform']).execute()
}
