import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { BudgetSpent, meteredHmac, unlessBudgetSpent } from './diagnose-hmac.js'
import { fixedWorkBudget } from './work-budget.js'

describe('meteredHmac', () => {
  it('computes HMAC over the UTF-8 bytes of key and message, paying one unit first', () => {
    const budget = fixedWorkBudget(1)
    const mac = meteredHmac(budget, 'sha256', 'clé', 'Zoë')
    const expected = createHmac('sha256', Buffer.from('clé', 'utf8')).update(Buffer.from('Zoë', 'utf8')).digest('hex')
    expect(mac.toString('hex')).toBe(expected)
    expect(budget.spent).toBe(1)
  })

  it('throws BudgetSpent instead of computing once the budget refuses', () => {
    const budget = fixedWorkBudget(0)
    expect(() => meteredHmac(budget, 'sha1', 'key', 'message')).toThrow(BudgetSpent)
  })
})

describe('unlessBudgetSpent', () => {
  it('answers the fallback when the budget ran out, and lets every other error through', () => {
    const spent = unlessBudgetSpent<Buffer | string>(() => meteredHmac(fixedWorkBudget(0), 'md5', 'k', 'm'), 'spent')
    expect(spent).toBe('spent')
    expect(() =>
      unlessBudgetSpent(() => {
        throw new TypeError('a bug')
      }, 'spent'),
    ).toThrow(TypeError)
  })
})
