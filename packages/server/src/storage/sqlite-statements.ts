import type SqliteDatabase from 'better-sqlite3'
import type { SqliteDatabase as KyselySqliteDatabase, SqliteStatement } from 'kysely'
import type { LongestCall } from './longest-call.js'

const STATEMENT_CACHE_SIZE = 500

/**
 * What Kysely's SQLite dialect runs queries on: prepared statements kept by their SQL text, each
 * call timed. Kysely prepares every query afresh, and compiling the SQL again costs more than
 * running it for the small statements Verity makes (profile reads, statistics). Bounded: queries
 * with a variable number of parameters make new texts.
 */
export function sqliteStatements(sqlite: SqliteDatabase.Database, calls: LongestCall): KyselySqliteDatabase {
  const statements = new Map<string, SqliteStatement>()
  return {
    prepare(sql) {
      let statement = statements.get(sql)
      if (statement === undefined) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear()
        statement = timed(sqlite.prepare(sql), calls)
        statements.set(sql, statement)
      }
      return statement
    },
    close: () => sqlite.close(),
  }
}

function timed(statement: SqliteDatabase.Statement, calls: LongestCall): SqliteStatement {
  return {
    reader: statement.reader,
    all: (parameters) => calls.time(() => statement.all(parameters)),
    run: (parameters) => calls.time(() => statement.run(parameters)),
    iterate(parameters) {
      const rows = statement.iterate(parameters)
      // Each step reads on the loop, so each is one call.
      return {
        next: () => calls.time(() => rows.next()),
        return: (value?: unknown) => rows.return?.(value) ?? { done: true, value },
        [Symbol.iterator]() {
          return this
        },
      }
    },
  }
}
