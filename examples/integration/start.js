// @ts-check
// `npm run example`: a local Verity (data in examples/integration/.data, a fixed development admin
// key), an app for the example (made on the first run), and the example backend with that app's web
// secret. Ctrl-C stops both.
//
// Ports: VERITY_PORT (8080) and EXAMPLE_PORT (3000).

import { spawn } from 'node:child_process'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

import { startBackend } from './backend.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const dataDir = join(here, '.data')
const verityPort = Number(process.env.VERITY_PORT ?? 8080)
const backendPort = Number(process.env.EXAMPLE_PORT ?? 3000)
const verityUrl = `http://127.0.0.1:${verityPort}`
// For this local example only: never use a key written in a repository for a real server.
const ADMIN_KEY = 'example-dev-admin-key-not-for-production-0000'
const APP_NAME = 'Example integration'

const verity = spawn(process.execPath, [join(root, 'packages/server/bin/verity.js'), 'serve', '--port', String(verityPort), '--data-dir', dataDir], {
  env: { ...process.env, VERITY_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
})
let verityExited = false
verity.once('exit', (code) => {
  verityExited = true
  console.error(`Verity exited (code ${code}).`)
  process.exit(1)
})

/** One admin API call; throws with Verity's error message. */
async function admin(method, path, body) {
  const response = await fetch(verityUrl + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body && { 'content-type': 'application/json' }) },
    ...(body && { body: JSON.stringify(body) }),
  })
  const json = response.status === 204 ? undefined : await response.json()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${json?.error?.message ?? ''}`)
  return json
}

async function waitUntilReady() {
  for (let i = 0; i < 300 && !verityExited; i++) {
    try {
      if ((await fetch(`${verityUrl}/readyz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`Verity did not become ready at ${verityUrl}. Is port ${verityPort} taken? Set VERITY_PORT.`)
}

/** The example's app, made on the first run, and its web secret. */
async function exampleApp() {
  for (let cursor = null; ; ) {
    const page = await admin('GET', `/admin/v1/apps?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
    const app = page.apps.find((a) => a.name === APP_NAME)
    if (app) {
      const { secrets } = await admin('GET', `/admin/v1/apps/${app.id}/platforms/web/secrets`)
      return { appId: app.id, webSecret: secrets.at(-1).value }
    }
    if (!page.next_cursor) break
    cursor = page.next_cursor
  }
  const created = await admin('POST', '/admin/v1/apps', { name: APP_NAME, environment: 'development' })
  return { appId: created.app.id, webSecret: created.secrets.web.value }
}

try {
  await waitUntilReady()
  const { appId, webSecret } = await exampleApp()
  const backend = await startBackend({ verityUrl, appId, webSecret, port: backendPort })
  console.log(`
Verity            ${verityUrl}  (data in ${relative(process.cwd(), dataDir) || '.'})
App               ${appId}  (its web secret is given to the backend only)
Example backend   ${backend.url}

Open ${backend.url} in a browser. To reply as a teammate, in another terminal:
  export VERITY_ADMIN_KEY=${ADMIN_KEY}
and run the command the page shows under "Reply as a teammate". Ctrl-C stops everything.
`)
  const stop = () => {
    verity.removeAllListeners('exit')
    verity.kill('SIGTERM')
    backend.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop).once('SIGTERM', stop)
} catch (error) {
  console.error(String(error instanceof Error ? error.message : error))
  verity.removeAllListeners('exit')
  verity.kill('SIGTERM')
  process.exit(1)
}
