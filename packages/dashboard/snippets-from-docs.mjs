// Reads the user-hash snippets at build time, so the dashboard shows the very files that
// docs/snippets/snippets.test.ts runs (never a copy that could drift, never a third-party fetch).
// The language list and each file come from the table in docs/snippets.md; the code from the files
// in docs/snippets/; the run command and the pitfalls from the language's section of snippets.md.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * @typedef {{ path: string, code: string }} SnippetFile
 * @typedef {{ language: string, files: SnippetFile[], run: string, pitfalls: string }} Snippet
 */

/** @param {string} docs the repository's docs/ folder @returns {Snippet[]} */
export function snippetsFromDocs(docs) {
  const markdown = readFileSync(join(docs, 'snippets.md'), 'utf8')
  const rows = [...markdown.matchAll(/^\| ([^|]+?) \| ((?:\[`[^`]+`\]\(snippets\/[^)]+\)(?:, )?)+) \|/gm)]
  if (rows.length < 8) throw new Error(`snippets: expected the language table in docs/snippets.md, found ${rows.length} rows`)
  return rows.map(([, language, links]) => {
    const files = [...links.matchAll(/\(snippets\/([^)]+)\)/g)].map(([, path]) => ({ path, code: readFileSync(join(docs, 'snippets', path), 'utf8') }))
    const section = sectionOf(markdown, language)
    const run = /\nRun:\n\n```sh\n([\s\S]*?)\n```/.exec(section)?.[1]
    const pitfalls = /\nPitfalls: (.*)\n/.exec(section)?.[1]
    if (!run || !pitfalls) throw new Error(`snippets: the "${language}" section of docs/snippets.md has no Run: block or Pitfalls: line`)
    return { language, files, run, pitfalls }
  })
}

function sectionOf(markdown, language) {
  const start = markdown.indexOf(`\n## ${language}\n`)
  if (start < 0) throw new Error(`snippets: docs/snippets.md has no "## ${language}" section`)
  const end = markdown.indexOf('\n## ', start + 1)
  return markdown.slice(start, end < 0 ? undefined : end)
}
