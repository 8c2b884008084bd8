import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // A conversation keeps the space of the session that started it (trust, namespaced identity,
  // device), so that who may read it is decided from the row alone (authorization/).
  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('trust', 'text', (c) => c.notNull())
    .addColumn('user_key', 'text')
    .addColumn('user_id', 'text')
    .addColumn('email', 'text')
    .addColumn('device_id', 'text')
    .addColumn('platform', 'text', (c) => c.notNull())
    .addColumn('last_message_at', 'text', (c) => c.notNull())
    .execute()
  // The two messenger lists (a verified user's; a device's) and the teammates' list, each by id.
  await db.schema.createIndex('conversations_user').on('conversations').columns(['app_id', 'user_key', 'id']).execute()
  await db.schema.createIndex('conversations_device').on('conversations').columns(['app_id', 'device_id', 'id']).execute()
  await db.schema.createIndex('conversations_app').on('conversations').columns(['app_id', 'id']).execute()

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id'))
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'id']).execute()

  // Profiles of verified users only: nobody else can prove who they are, so nobody else writes one.
  await db.schema
    .createTable('users')
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id'))
    .addColumn('user_key', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('signed_attributes', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('users_pk', ['app_id', 'user_key'])
    .execute()
}
