// Bundles the dashboard into dist/: index.html (revalidated on every visit) and content-hashed
// assets under dist/assets/ (cached for a year). No inline script or style, so the server's
// Content-Security-Policy can forbid them.
import { build } from 'esbuild'
import { rmSync, mkdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, 'dist')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

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
