import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/** A user's stored state, after their key. */
const ATTEMPT_COLUMNS = ['last_at', 'outcome', 'app_version', 'sdk_version', 'secret_id', 'proven_at', 'proven_app_version', 'proven_secret_id'] as const

/**
 * The busy statements of a statistics flush, as SQL text with parameters: with thousands of
 * distinct users a second, the query builder's objects per row cost more than SQLite itself (and,
 * alive across the flush's pauses, were promoted to the old generation). The text is the builder's
 * own (same tables, columns and conditions); `$n` placeholders on PostgreSQL.
 */
export class FlushStatements {
  readonly #numbered: boolean
  readonly #texts = new Map<string, string>()

  constructor(db: Kysely<Database>) {
    this.#numbered = db.selectFrom('user_attempts').select('app_id').where('app_id', '=', '').compile().sql.includes('$1')
  }

  /**
   * The stored rows of users of several apps and platforms, `keysPerGroup[i]` keys in group i:
   * parameters app, platform, then that group's keys, group after group. Not kept: the mix of
   * sizes varies from flush to flush.
   */
  readAttemptsOfGroups(keysPerGroup: readonly number[]): string {
    let next = 0
    const p = (n: number): string => Array.from({ length: n }, () => (this.#numbered ? `$${++next}` : '?')).join(', ')
    const groups = keysPerGroup.map((keys) => {
      const [app, platform] = [p(1), p(1)]
      return `("app_id" = ${app} and "platform" = ${platform} and "user_key" in (${p(keys)}))`
    })
    return (
      'select "app_id", "platform", "user_key", "last_at", "outcome", "app_version", "sdk_version", "secret_id", "proven_at", "proven_app_version", "proven_secret_id" ' +
      `from "user_attempts" where ${groups.join(' or ')}`
    )
  }

  /**
   * Writes users' merged states (statistics-counts.ts mergeAttempt, computed under the same lock),
   * 11 parameters a row.
   */
  writeAttempts(rows: number): string {
    return this.#text(`a${rows}`, (p) => `${this.#insertAttempts(rows, p)} on conflict ("app_id", "platform", "user_key") do update set ${ATTEMPT_COLUMNS.map((c) => `"${c}" = "excluded"."${c}"`).join(', ')}`)
  }

  /** The bulk loader's users, 11 parameters a row: every key is new, so one already stored fails the insert. */
  insertNewAttempts(rows: number): string {
    return this.#text(`n${rows}`, (p) => this.#insertAttempts(rows, p))
  }

  #insertAttempts(rows: number, p: (n: number) => string): string {
    const values = Array.from({ length: rows }, () => `(${p(11)})`).join(', ')
    return `insert into "user_attempts" ("app_id", "platform", "user_key", ${ATTEMPT_COLUMNS.map((c) => `"${c}"`).join(', ')}) values ${values}`
  }

  /** Adds to the aggregate rows, 8 parameters a row: each row keeps the latest time it saw. */
  addCounts(rows: number): string {
    return this.#text(`c${rows}`, (p) => {
      const values = Array.from({ length: rows }, () => `(${p(8)})`).join(', ')
      const mine = '"rollout_counts"."last_seen_at"'
      const theirs = '"excluded"."last_seen_at"'
      return (
        'insert into "rollout_counts" ("app_id", "platform", "series", "day", "key", "outcome", "users", "last_seen_at") ' +
        `values ${values} on conflict ("app_id", "platform", "series", "day", "key", "outcome") do update set ` +
        '"users" = "rollout_counts"."users" + "excluded"."users", ' +
        `"last_seen_at" = case when ${theirs} is not null and (${mine} is null or ${mine} < ${theirs}) then ${theirs} else ${mine} end`
      )
    })
  }

  /** Each secret's last use, never moved back: parameters are (id, time) pairs twice, then the ids. */
  secretsUsed(count: number): string {
    return this.#text(`s${count}`, (p) => {
      const lastUsed = () => `case "id" ${Array.from({ length: count }, () => `when ${p(1)} then ${p(1)}`).join(' ')} end`
      // Placeholders are numbered in the order they appear.
      const set = lastUsed()
      const ids = p(count)
      const newer = lastUsed()
      return `update "secrets" set "last_used_at" = ${set} where "id" in (${ids}) and ("last_used_at" is null or "last_used_at" < ${newer})`
    })
  }

  #text(key: string, build: (placeholders: (n: number) => string) => string): string {
    let text = this.#texts.get(key)
    if (text === undefined) {
      let next = 0
      text = build((n) => Array.from({ length: n }, () => (this.#numbered ? `$${++next}` : '?')).join(', '))
      if (this.#texts.size > 1000) this.#texts.clear()
      this.#texts.set(key, text)
    }
    return text
  }
}
