// Bundles the dashboard into dist/: index.html (revalidated on every visit) and content-hashed
// assets under dist/assets/ (cached for a year). No inline script or style, so the server's
// Content-Security-Policy can forbid them.
import { build } from 'esbuild'
import { rmSync, mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { snippetsFromDocs } from './snippets-from-docs.mjs'
import { BUDGET_BYTES, describeSize, firstVisitSize } from './first-visit-size.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'dist')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

/** `import { SNIPPETS } from 'verity:snippets'`: docs/snippets, read now and bundled as data. */
const snippetsModule = {
  name: 'verity-snippets',
  setup(b) {
    b.onResolve({ filter: /^verity:snippets$/ }, () => ({ path: 'snippets', namespace: 'verity' }))
    b.onLoad({ filter: /.*/, namespace: 'verity' }, () => ({
      contents: `export const SNIPPETS = ${JSON.stringify(snippetsFromDocs(join(here, '../../docs')))}`,
      loader: 'js',
      watchFiles: [join(here, '../../docs/snippets.md')],
    }))
  },
}

const result = await build({
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  plugins: [snippetsModule],
  logLevel: 'warning',
})

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p))
const script = outputs.find((f) => f.endsWith('.js'))
const style = outputs.find((f) => f.endsWith('.css'))
if (!script || !style) throw new Error(`dashboard build: expected a .js and a .css output, got ${outputs.join(', ')}`)

writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Verity</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/${style}">
<script type="module" src="/assets/${script}"></script>
</head>
<body>
<div id="app"><p>Loading…</p></div>
<noscript>The Verity dashboard needs JavaScript.</noscript>
</body>
</html>
`,
)
console.log(`dashboard: dist/index.html, assets/${script}, assets/${style}`)
const size = firstVisitSize(out)
console.log(`dashboard: ${describeSize(size)}`)
if (size.total > BUDGET_BYTES) throw new Error(`dashboard build: the first visit loads ${size.total} bytes gzipped, over the budget of ${BUDGET_BYTES}`)
