import { createHmac } from 'node:crypto'
import { hmacUnits, type WorkBudget } from './work-budget.js'

/** Thrown when the budget refuses the next HMAC; the diagnoses turn it into `unknown`. */
export class BudgetSpent extends Error {
  constructor() {
    super('diagnosis budget spent')
    this.name = 'BudgetSpent'
  }
}

export type DiagnosisAlgorithm = 'sha256' | 'sha1' | 'md5' | 'sha512'

/**
 * One HMAC, paid for before it is computed, so that `budget.spent` is the work actually done.
 * Key and message are strings whose UTF-8 bytes are used, as in rule 2 of the API.
 */
export function meteredHmac(budget: WorkBudget, algorithm: DiagnosisAlgorithm, key: string, message: string): Buffer {
  if (!budget.take(hmacUnits(key, message))) throw new BudgetSpent()
  return createHmac(algorithm, key).update(message, 'utf8').digest()
}

/** Runs a search whose HMACs are metered; a search cut short by the budget found nothing it can vouch for. */
export function unlessBudgetSpent<T>(search: () => T, whenSpent: T): T {
  try {
    return search()
  } catch (error) {
    if (error instanceof BudgetSpent) return whenSpent
    throw error
  }
}
