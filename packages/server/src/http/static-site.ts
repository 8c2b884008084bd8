import { createHash } from 'node:crypto'
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** The dashboard's policy: its own origin only, no inline script, never framed. */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
}

/** Paths that belong to the API; they keep their JSON answers (a JSON 404 when unknown). */
const API_PREFIXES = ['/v1/', '/admin/']
const API_PATHS = new Set(['/v1', '/admin', '/healthz', '/readyz', '/metrics', '/openapi.json'])

export function isApiPath(path: string): boolean {
  return API_PATHS.has(path) || API_PREFIXES.some((prefix) => path.startsWith(prefix))
}

interface StaticFile {
  readonly body: Buffer
  readonly type: string
  readonly etag: string
  readonly cacheControl: string
}

/**
 * The built dashboard, read into memory once at start-up. Requests are looked up by exact name in
 * this table, never joined onto a folder path, so no `..`, encoded slash or symlink can reach a
 * file outside it, and no folder is ever listed.
 */
export class StaticSite {
  private readonly files: ReadonlyMap<string, StaticFile>
  private constructor(files: ReadonlyMap<string, StaticFile>) {
    this.files = files
  }

  /** Where `npm run build` puts the dashboard (packages/dashboard/dist), from src/ or dist/ alike. */
  static readonly DEFAULT_FOLDER = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url))

  /** The folder's files, or null when it has not been built (the server then answers JSON 404s as before). */
  static load(folder: string): StaticSite | null {
    if (!existsSync(join(folder, 'index.html'))) return null
    const files = new Map<string, StaticFile>()
    for (const file of walk(folder)) {
      const name = '/' + relative(folder, file).split(sep).join('/')
      const dot = name.lastIndexOf('.')
      const type = TYPES[dot === -1 ? '' : name.slice(dot)]
      if (type === undefined) continue
      const body = readFileSync(file)
      // Hashed assets never change under their name; index.html names the current ones, so it is revalidated.
      const hashed = name.startsWith('/assets/')
      files.set(name, {
        body,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        cacheControl: hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      })
    }
    return new StaticSite(files)
  }

  /**
   * Answers a GET or HEAD for a path outside the API. A path without a file extension is a screen
   * of the app (its router reads the address), so it gets index.html; an unknown file is a 404.
   */
  serve(req: IncomingMessage, res: ServerResponse, path: string, requestId: string): void {
    const headers: Record<string, string> = {
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'X-Request-Id': requestId,
    }
    // A body we do not read must not be parsed as the next request on this connection. (A GET's
    // `complete` is false too until its empty body is read, so only the refused methods close.)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!req.complete) headers.Connection = 'close'
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end('Method not allowed\n')
      return
    }
    const last = path.slice(path.lastIndexOf('/') + 1)
    const file = this.files.get(path === '/' || !last.includes('.') ? '/index.html' : path)
    if (file === undefined) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
      res.end(req.method === 'HEAD' ? undefined : 'Not found\n')
      return
    }
    const common = { ...headers, 'Content-Type': file.type, 'Cache-Control': file.cacheControl, ETag: file.etag }
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, common)
      res.end()
      return
    }
    res.writeHead(200, { ...common, 'Content-Length': String(file.body.length) })
    res.end(req.method === 'HEAD' ? undefined : file.body)
  }
}

function* walk(folder: string): Generator<string> {
  for (const entry of readdirSync(folder)) {
    const full = join(folder, entry)
    // lstat: a symbolic link is skipped, so nothing outside the folder is ever read.
    const stat = lstatSync(full)
    if (stat.isDirectory()) yield* walk(full)
    else if (stat.isFile()) yield full
  }
}
