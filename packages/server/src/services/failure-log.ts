import { VerityError } from '../errors/verity-error.js'
import type { FailureRepository, FailureRow } from '../storage/failure-repository.js'
import type { Diagnosis } from '../diagnosis/diagnosis.js'
import type { Platform } from '../verification/platforms.js'
import { decodeCursor, encodeCursor, pageSize } from './pagination.js'

/** API.md, "Failure and its diagnosis". Admins only: the diagnosis tells which secrets exist. */
export interface FailureView {
  at: string
  platform: Platform
  user_id: string | null
  email: string | null
  app_version: string | null
  refused: boolean
  code: 'user_hash_missing' | 'user_hash_invalid'
  diagnosis: Diagnosis
}

const FAILURE_ID = /^fail_[0-9a-z]{26}$/

/**
 * Recent failures of one app, newest first. Failure ids are time-ordered, so the page boundary is
 * the last id; the ids themselves stay internal (the cursor wraps them) because API.md names the
 * fields of a Failure and an id is not one of them.
 */
export class FailureLog {
  readonly #repo: FailureRepository

  constructor(repo: FailureRepository) {
    this.#repo = repo
  }

  list(appId: string, options: { platform?: Platform | undefined; diagnosis?: Diagnosis | undefined; limit?: number | undefined; cursor?: string | undefined } = {}): Promise<{ failures: FailureView[]; next_cursor: string | null }> {
    return listFailures(this.#repo, appId, options)
  }
}

async function listFailures(
  repo: FailureRepository,
  appId: string,
  options: { platform?: Platform | undefined; diagnosis?: Diagnosis | undefined; limit?: number | undefined; cursor?: string | undefined } = {},
): Promise<{ failures: FailureView[]; next_cursor: string | null }> {
  const limit = pageSize(options.limit)
  const before = decodeCursor(options.cursor, FAILURE_ID)
  if (!(await repo.appExists(appId))) throw new VerityError('app_not_found')
  const rows = await repo.page(appId, { platform: options.platform, diagnosis: options.diagnosis }, limit, before)
  return { failures: rows.map(failureView), next_cursor: rows.length === limit ? encodeCursor(rows[rows.length - 1]!.id) : null }
}

export function failureView(r: FailureRow): FailureView {
  return {
    at: r.at,
    platform: r.platform as Platform,
    user_id: r.user_id,
    email: r.email,
    app_version: r.app_version,
    refused: Number(r.refused) === 1,
    code: r.code as FailureView['code'],
    diagnosis: r.diagnosis as Diagnosis,
  }
}
