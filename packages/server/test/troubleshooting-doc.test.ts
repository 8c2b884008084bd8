import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DIAGNOSIS_ADVICE } from '../src/diagnosis/diagnosis-advice.js'
import { DIAGNOSES } from '../src/diagnosis/diagnosis.js'

const DOCS = [new URL('../../../docs/troubleshooting.md', import.meta.url), new URL('../../../README.md', import.meta.url)]

/** The table as docs/troubleshooting.md must hold it: one row per diagnosis, in the API's order. */
function expectedTable(): string {
  const cell = (text: string) => text.replaceAll('|', '\\|')
  return [
    '| diagnosis | what happened | what to do |',
    '|---|---|---|',
    ...DIAGNOSES.map((d) => `| \`${d}\` | ${cell(DIAGNOSIS_ADVICE[d].found)} | ${cell(DIAGNOSIS_ADVICE[d].fix)} |`),
  ].join('\n')
}

describe('the troubleshooting tables (docs/troubleshooting.md, README.md)', () => {
  it.each(DOCS)('%s holds the diagnosis table of diagnosis/diagnosis-advice.ts, word for word', (url) => {
    const doc = readFileSync(url, 'utf8')
    const table = /<!-- diagnosis-table:start -->\n([\s\S]*?)\n<!-- diagnosis-table:end -->/.exec(doc)?.[1]
    // On a mismatch the expected table is printed in full: paste it into the doc.
    expect(table, 'the markers <!-- diagnosis-table:start/end --> are missing').toBeDefined()
    expect(table).toBe(expectedTable())
  })

  it('gives every diagnosis one actionable sentence', () => {
    for (const d of DIAGNOSES) {
      const { found, fix } = DIAGNOSIS_ADVICE[d]
      expect(found.length, d).toBeGreaterThan(10)
      // One sentence: a single full stop, at the end (dots inside `code`, versions or e.g. don't count).
      expect(fix.replace(/`[^`]*`/g, '').replace(/\d\.\d/g, '').match(/\.(\s|$)/g), `${d}: ${fix}`).toHaveLength(1)
      expect(fix.endsWith('.')).toBe(true)
    }
  })
})
