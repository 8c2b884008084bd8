import { sql, type Kysely } from 'kysely'
import { isPostgres } from '../../src/storage/notify.js'

/** Every table of the schema, read from the database itself: a table added later is covered too. */
export async function tableNames(db: Kysely<any>): Promise<string[]> {
  const { rows } = isPostgres(db)
    ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db)
    : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(db)
  return rows.map((r) => r.name).sort()
}

export interface Mention {
  readonly table: string
  readonly row: Record<string, unknown>
}

/** Every row of every table whose text (any column) contains one of `needles`. */
export async function rowsMentioning(db: Kysely<any>, needles: readonly string[]): Promise<{ tables: string[]; rows: number; mentions: Mention[] }> {
  const tables = await tableNames(db)
  const mentions: Mention[] = []
  let rows = 0
  for (const table of tables) {
    const { rows: all } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(db)
    rows += all.length
    for (const row of all) {
      const text = JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))
      if (needles.some((n) => text.includes(n))) mentions.push({ table, row })
    }
  }
  return { tables, rows, mentions }
}
