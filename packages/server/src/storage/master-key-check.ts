import type { Kysely } from 'kysely'
import { ConfigError } from '../errors/config-error.js'
import { KEY_CHECK_AAD, KEY_CHECK_PLAINTEXT, SecretBox } from '../crypto/secret-box.js'
import type { Database } from './schema.js'

/** Whether this database has ever held secrets (it has a master key check): only then may a key file be made. */
export async function holdsMasterKeyCheck(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('meta').select('key').where('key', '=', 'master_key_check').executeTakeFirst()
  return row !== undefined
}

/**
 * Proves that the master key opens this database's secrets before anything is served. A wrong key
 * must stop the start: silently making a new key would orphan every secret, and serving on with
 * unreadable secrets would refuse every user.
 */
export async function checkMasterKey(db: Kysely<Database>, box: SecretBox, keySource: string, location: string): Promise<void> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', 'master_key_check').executeTakeFirst()
  if (row) {
    if (box.open(row.value, KEY_CHECK_AAD) !== KEY_CHECK_PLAINTEXT) {
      throw new ConfigError(
        `The master key from ${keySource} does not open the secrets stored in ${location}. ` +
          'Every instance on one database needs the same key: set VERITY_MASTER_KEY to the key this data was created with ' +
          '(or restore its master.key file). Refusing to start rather than lose the secrets.',
      )
    }
    return
  }
  const existing = await db.selectFrom('secrets').select('id').limit(1).executeTakeFirst()
  if (existing) {
    throw new ConfigError(`${location} holds secrets but no master key check. The database may be damaged; refusing to start.`)
  }
  await db
    .insertInto('meta')
    .values({ key: 'master_key_check', value: box.seal(KEY_CHECK_PLAINTEXT, KEY_CHECK_AAD) })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute()
  // Another process may have won the race with its own key: check again against what is stored.
  const stored = await db.selectFrom('meta').select('value').where('key', '=', 'master_key_check').executeTakeFirstOrThrow()
  if (box.open(stored.value, KEY_CHECK_AAD) !== KEY_CHECK_PLAINTEXT) {
    throw new ConfigError(`Another process initialised ${location} with a different master key. Set VERITY_MASTER_KEY to that key.`)
  }
}
