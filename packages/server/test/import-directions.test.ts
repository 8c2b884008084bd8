// The server's folders form layers: a file may import from its own folder and from folders below
// its own, never from above. This list is the one place the allowed directions are written down.
// A new folder fails this test until it is given its place.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

/** Lowest first. Folders on one line are peers and may not import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors'],
  ['network'],
  ['config'],
  ['logging'],
  ['crypto'],
  // Pure rules: no I/O.
  ['verification'],
  ['tokens'],
  ['authorization', 'profile', 'conversations'],
  // The only place with SQL.
  ['storage'],
  // Webhooks: signing, the address guard and the delivery worker, over their queue in storage.
  ['limits', 'config-cache', 'webhooks'],
  // Names the mistake behind a failed proof, from the in-memory configuration.
  ['diagnosis'],
  // Alert rules in memory: failure spikes, secrets sent by clients, proofs leaked to one source.
  ['alerts'],
  // Use cases shared by HTTP and CLI: the messenger and admin ones, and teammates' accounts.
  ['services', 'teammates'],
  ['live'],
  ['http'],
  // The composition root, and the CLI that starts it.
  ['runtime'],
  ['cli'],
]

/**
 * The composition root: it opens the database and hands its handle to the repositories, so it may
 * name the Kysely type; it holds no query.
 */
const COMPOSITION_ROOT = ['runtime/open-verity-data.ts']

/** A Kysely import, a query builder call or a tagged SQL template. */
const KYSELY_IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'kysely'/
const SQL_BUILDER = /\.(?:selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(|\bsql`|\bsql\.(?:raw|ref|table|id|lit|join)\(|\.transaction\(\)\.execute\(/

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src')
const rank = new Map(LAYERS.flatMap((folders, level) => folders.map((folder) => [folder, level] as const)))

const sourceFiles = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => join(SRC, file))

const folderOf = (file: string): string => relative(SRC, file).split(sep)[0]!

/** The files this one imports (relative imports only: packages are outside the layers). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8')
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((match) =>
    resolve(dirname(file), match[1]!).replace(/\.js$/, '.ts'),
  )
}

describe('import directions in packages/server/src', () => {
  it('every folder has its place in the layers', () => {
    const folders = new Set(sourceFiles.map(folderOf).filter((folder) => !folder.endsWith('.ts')))
    expect([...folders].filter((folder) => !rank.has(folder))).toEqual([])
  })

  it('no file imports from a folder above its own or from a peer', () => {
    const wrong: string[] = []
    for (const file of sourceFiles) {
      const from = folderOf(file)
      if (!rank.has(from)) continue
      for (const target of importsOf(file)) {
        const to = folderOf(target)
        if (to === from || !rank.has(to)) continue
        if (rank.get(to)! >= rank.get(from)!) wrong.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`)
      }
    }
    expect(wrong).toEqual([])
  })

  it('no two files import each other, directly or through others', () => {
    const graph = new Map(sourceFiles.map((file) => [file, importsOf(file).filter((target) => target !== file)]))
    const state = new Map<string, 'open' | 'done'>()
    const cycles: string[] = []
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '))
        return
      }
      state.set(file, 'open')
      for (const target of graph.get(file) ?? []) visit(target, [...path, file])
      state.set(file, 'done')
    }
    for (const file of sourceFiles) visit(file, [])
    expect(cycles).toEqual([])
  })

  it('no file outside storage/ imports kysely or builds SQL', () => {
    const wrong: string[] = []
    for (const file of sourceFiles) {
      const name = relative(SRC, file).split(sep).join('/')
      if (folderOf(file) === 'storage') continue
      const source = readFileSync(file, 'utf8')
      if (KYSELY_IMPORT.test(source) && !COMPOSITION_ROOT.includes(name)) wrong.push(`${name}: imports kysely`)
      if (SQL_BUILDER.test(source)) wrong.push(`${name}: builds SQL`)
    }
    expect(wrong).toEqual([])
  })

  it('the SQL check sees a query builder call, a SQL template and a Kysely import', () => {
    expect(SQL_BUILDER.test("await db.selectFrom('apps').selectAll().execute()")).toBe(true)
    expect(SQL_BUILDER.test('await sql`select 1`.execute(db)')).toBe(true)
    expect(SQL_BUILDER.test('await db.transaction().execute(async (trx) => {})')).toBe(true)
    expect(KYSELY_IMPORT.test("import type { Kysely } from 'kysely'")).toBe(true)
    expect(SQL_BUILDER.test('await this.#repo.list({ limit })')).toBe(false)
  })
})
