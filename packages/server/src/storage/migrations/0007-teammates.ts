import type { Kysely } from 'kysely'

// Teammate accounts (API.md, "Teammate accounts"). Credentials are stored only as digests (session
// and API tokens, invites, recovery codes) or as scrypt hashes (passwords); the TOTP secret is
// sealed with the master key, since checking a code needs it in clear.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('teammates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('totp_secret', 'text')
    .addColumn('totp_enabled', 'integer', (c) => c.notNull().defaultTo(0))
    // The time step of the last code accepted: a code works once (RFC 6238, section 5.2).
    .addColumn('totp_last_step', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_sign_in_at', 'text')
    .execute()
  await db.schema
    .createTable('teammate_invites')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('teammate_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()
  await db.schema.createIndex('teammate_invites_teammate').on('teammate_invites').column('teammate_id').execute()
  await db.schema
    .createTable('teammate_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('teammate_id', 'text', (c) => c.notNull())
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_until', 'text')
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .execute()
  await db.schema.createIndex('teammate_sessions_teammate').on('teammate_sessions').column('teammate_id').execute()
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('teammate_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute()
  await db.schema.createIndex('api_tokens_teammate').on('api_tokens').column('teammate_id').execute()
  await db.schema
    .createTable('recovery_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('teammate_id', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute()
  await db.schema.createIndex('recovery_codes_teammate').on('recovery_codes').column('teammate_id').execute()
  // The bootstrap key from VERITY_ADMIN_KEY lives in the environment, not here: `verity admin-key
  // rotate|disable` retires it by digest, and every instance stops accepting it.
  await db.schema
    .createTable('retired_admin_keys')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('retired_at', 'text', (c) => c.notNull())
    .execute()
  // Who changed something, from where (the client address); null for the CLI and older events.
  await db.schema.alterTable('audit_events').addColumn('client', 'text').execute()
}
