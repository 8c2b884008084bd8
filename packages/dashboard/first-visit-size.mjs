// What a first visit loads, gzipped: index.html and every asset it references. build.mjs prints it
// and fails above the budget; `node first-visit-size.mjs` measures an existing dist/.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export const BUDGET_BYTES = 150 * 1024

/** @param {string} dist @returns {{ files: { name: string, bytes: number, gzipped: number }[], total: number }} */
export function firstVisitSize(dist) {
  const html = readFileSync(join(dist, 'index.html'))
  const assets = [...html.toString('utf8').matchAll(/(?:href|src)="\/(assets\/[^"]+)"/g)].map((m) => m[1])
  const files = [{ name: 'index.html', data: html }, ...assets.map((name) => ({ name, data: readFileSync(join(dist, name)) }))].map(({ name, data }) => ({
    name,
    bytes: data.length,
    gzipped: gzipSync(data, { level: 9 }).length,
  }))
  return { files, total: files.reduce((sum, f) => sum + f.gzipped, 0) }
}

export function describeSize({ files, total }) {
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`
  return `first visit: ${kb(total)} gzipped (budget ${kb(BUDGET_BYTES)}): ${files.map((f) => `${f.name} ${kb(f.gzipped)}`).join(', ')}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(describeSize(firstVisitSize(join(dirname(fileURLToPath(import.meta.url)), 'dist'))))
}
