import type { Kysely } from 'kysely'
import { isPostgres } from './notify.js'
import type { Database } from './schema.js'

/**
 * Rows of users' statistics one background statement changes at most (retention, an app's
 * deletion). SQLite runs each statement on the event loop: with a million users whose rows lie at
 * random places of the key index, deleting 500 took 38 ms at the median and 100 took 2 ms.
 * PostgreSQL waits off the loop, where fewer statements cost less.
 */
export const userRowsPerStatement = (db: Kysely<Database>): number => (isPostgres(db) ? 500 : 100)
