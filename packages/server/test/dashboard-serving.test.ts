import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import type { TestServer } from './support/test-server.js'
import { DASHBOARD_CSP } from '../src/http/static-site.js'

/** A request sent byte for byte as written (fetch would resolve `..` before sending it). */
function rawGet(url: string, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ hostname, port, path, method }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

const INDEX = '<!doctype html><title>Verity</title><script type="module" src="/assets/app-ABC123.js"></script>'

describe.each(BACKENDS)('the dashboard served at / (%s)', (backend) => {
  let server: TestServer
  let folder: string
  let outside: string

  beforeAll(async () => {
    outside = mkdtempSync(join(tmpdir(), 'verity-outside-'))
    writeFileSync(join(outside, 'secret.txt'), 'outside the site')
    folder = mkdtempSync(join(tmpdir(), 'verity-site-'))
    mkdirSync(join(folder, 'assets'))
    writeFileSync(join(folder, 'index.html'), INDEX)
    writeFileSync(join(folder, 'assets', 'app-ABC123.js'), 'console.log(1)')
    writeFileSync(join(folder, 'assets', 'notes.md'), 'an unknown type is never served')
    symlinkSync(outside, join(folder, 'assets', 'link'))
    server = await startBackendServer(backend, {}, { dashboardFolder: folder })
  })
  afterAll(async () => {
    await server?.close()
    rmSync(folder, { recursive: true, force: true })
    rmSync(outside, { recursive: true, force: true })
  })

  it('answers / with index.html, the strict policy and no caching', async () => {
    const res = await fetch(`${server.url}/`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('referrer-policy')).toBe('no-referrer')
    expect(res.headers.get('cache-control')).toBe('no-cache')
    expect(await res.text()).toContain('<title>Verity</title>')
  })

  it('answers a screen of the app (no file extension) with index.html too', async () => {
    const res = await fetch(`${server.url}/apps/app_123`)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('<title>Verity</title>')
  })

  it('caches hashed assets for a year and revalidates by ETag', async () => {
    const res = await fetch(`${server.url}/assets/app-ABC123.js`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    const again = await fetch(`${server.url}/assets/app-ABC123.js`, { headers: { 'if-none-match': res.headers.get('etag')! } })
    expect(again.status).toBe(304)
  })

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await rawGet(server.url, '/', 'HEAD')
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect(head.headers['content-length']).toBe(String(INDEX.length))
    // A GET or HEAD keeps its connection for the next request (the page's assets come next).
    expect(head.headers.connection).not.toBe('close')
    expect((await rawGet(server.url, '/assets/app-ABC123.js')).headers.connection).not.toBe('close')
    const post = await fetch(`${server.url}/`, { method: 'POST', body: 'x' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('never lists a folder, never serves an unknown type, never leaves the folder', async () => {
    const folderPath = await fetch(`${server.url}/assets/`)
    expect(folderPath.status).toBe(200)
    expect(await folderPath.text()).toBe(INDEX) // the app's page, not a listing (notes.md would be in one)
    expect((await fetch(`${server.url}/assets/notes.md`)).status).toBe(404)
    expect((await fetch(`${server.url}/assets/missing-XYZ.js`)).status).toBe(404)
    for (const path of [
      '/../../../../etc/passwd',
      '/assets/../../../../etc/hostname.txt',
      '/assets/..%2f..%2f..%2fetc%2fpasswd.txt',
      '/%2e%2e/%2e%2e/etc/passwd.txt',
      '/assets/link/secret.txt',
      '/assets%2flink%2fsecret.txt',
      '//etc/passwd.txt',
    ]) {
      const res = await rawGet(server.url, path)
      expect(res.body, path).not.toContain('outside the site')
      expect(res.body, path).not.toContain('root:')
      expect([200, 404], path).toContain(res.status)
    }
    expect((await rawGet(server.url, '/assets/link/secret.txt')).status).toBe(404)
  })

  it('leaves the API its JSON answers, a JSON 404 for unknown API paths included', async () => {
    const health = await fetch(`${server.url}/healthz`)
    expect(health.headers.get('content-type')).toContain('application/json')
    for (const path of ['/v1/nothing-here', '/admin/v1/nothing-here', '/admin']) {
      const res = await server.request('GET', path)
      expect(res.status, path).toBe(404)
      expect(res.body.error.code, path).toBe('not_found')
    }
    const openapi = await fetch(`${server.url}/openapi.json`)
    expect(openapi.headers.get('content-type')).toContain('application/json')
  })
})
