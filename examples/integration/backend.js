// @ts-check
// The customer's backend of the example: node:http and @verity/node, nothing else.
//
// It stands in for your own server. POST /api/login is its "login" (a demo: any user id is
// accepted, where yours checks a password or an SSO assertion); after it, the signed-in user's
// proof for the messenger comes from the session, never from what the browser claims.
//
// Environment: VERITY_URL, VERITY_APP_ID, VERITY_WEB_SECRET (the app's web secret), PORT (3000;
// 0 picks a free port), HOST (127.0.0.1). Prints "Example backend on http://…" once it listens.

import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { dirname, join, normalize, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

import { userHash } from '@verity/node'

const here = dirname(fileURLToPath(import.meta.url))
const publicDir = join(here, 'public')
// The messenger SDK as the package installs it: its compiled ES modules, served as they are.
const sdkDir = dirname(fileURLToPath(import.meta.resolve('@verity/messenger')))

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' }

/**
 * Starts the backend. Resolves with its URL and a close function.
 * @param {{ verityUrl: string, appId: string, webSecret: string, port?: number, host?: string }} options
 */
export async function startBackend({ verityUrl, appId, webSecret, port = 3000, host = '127.0.0.1' }) {
  if (!verityUrl || !appId || !webSecret) throw new Error('Set VERITY_URL, VERITY_APP_ID and VERITY_WEB_SECRET.')
  /** session id → the signed-in user */
  const sessions = new Map()

  const sessionOf = (req) => {
    const match = /(?:^|;\s*)example_session=([^;]+)/.exec(req.headers.cookie ?? '')
    return match ? match[1] : undefined
  }

  /** What the messenger needs for this user: the same strings that were hashed, and the hash. */
  const identityFor = (user) => ({ userId: user.userId, ...(user.email && { email: user.email }), userHash: userHash(webSecret, user) })

  const json = (res, status, body, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
    res.end(JSON.stringify(body))
  }

  const readJson = async (req) => {
    let text = ''
    for await (const chunk of req) {
      text += chunk
      if (text.length > 4096) throw new Error('too large')
    }
    return JSON.parse(text || '{}')
  }

  const serveFile = async (res, dir, name) => {
    const path = normalize(join(dir, name))
    if (!path.startsWith(dir + sep)) return json(res, 404, { error: 'Not found.' })
    try {
      const body = await readFile(path)
      res.writeHead(200, { 'content-type': TYPES[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream' })
      res.end(body)
    } catch {
      json(res, 404, { error: 'Not found.' })
    }
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (req.method === 'GET' && url.pathname === '/config.json') {
        // Public settings of the messenger: never the secret.
        return json(res, 200, { verityUrl, appId, platform: 'web' })
      }
      if (req.method === 'POST' && url.pathname === '/api/login') {
        const { userId, email } = await readJson(req)
        if (typeof userId !== 'string' || !/^[\w.@+-]{1,64}$/.test(userId)) return json(res, 400, { error: 'Enter a user id: letters, digits, . _ @ + -' })
        if (email !== undefined && email !== '' && (typeof email !== 'string' || email.length > 255)) return json(res, 400, { error: 'The email is not valid.' })
        const user = { userId, ...(email && { email }) }
        const session = randomBytes(18).toString('base64url')
        sessions.set(session, user)
        return json(res, 200, identityFor(user), { 'set-cookie': `example_session=${session}; HttpOnly; SameSite=Lax; Path=/` })
      }
      if (req.method === 'GET' && url.pathname === '/api/messenger-identity') {
        const user = sessions.get(sessionOf(req))
        return user ? json(res, 200, identityFor(user)) : json(res, 401, { error: 'Sign in first.' })
      }
      if (req.method === 'POST' && url.pathname === '/api/logout') {
        sessions.delete(sessionOf(req))
        return json(res, 200, {}, { 'set-cookie': 'example_session=; Max-Age=0; Path=/' })
      }
      if (req.method === 'GET' && url.pathname.startsWith('/sdk/')) return serveFile(res, sdkDir, url.pathname.slice('/sdk/'.length))
      if (req.method === 'GET') return serveFile(res, publicDir, url.pathname === '/' ? 'index.html' : url.pathname.slice(1))
      json(res, 405, { error: 'Method not allowed.' })
    } catch {
      json(res, 400, { error: 'Bad request.' })
    }
  })

  await new Promise((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const backend = await startBackend({
    verityUrl: process.env.VERITY_URL ?? '',
    appId: process.env.VERITY_APP_ID ?? '',
    webSecret: process.env.VERITY_WEB_SECRET ?? '',
    port: Number(process.env.PORT ?? 3000),
    host: process.env.HOST ?? '127.0.0.1',
  })
  console.log(`Example backend on ${backend.url}`)
  const stop = () => backend.close().then(() => process.exit(0))
  process.once('SIGINT', stop).once('SIGTERM', stop)
}
