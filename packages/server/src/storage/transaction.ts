import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/**
 * An open transaction, handed by a repository to the code that runs inside it, which passes it back
 * to repository methods so that several writes commit together. Services hold it only to pass it on:
 * they never query through it.
 */
export type StorageTransaction = Kysely<Database>
