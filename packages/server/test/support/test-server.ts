import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { pino } from 'pino'
import { createLogger } from '../../src/logging/create-logger.js'
import { parseServerConfig, type ServerConfig } from '../../src/config/server-config.js'
import { startServer, type RunningServer, type StartOptions } from '../../src/runtime/start-server.js'
import { checkReplyAgainstSchema } from './reply-schemas.js'

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789'

export interface TestServer {
  readonly url: string
  readonly dataDir: string
  readonly running: RunningServer
  readonly config: ServerConfig
  /** fetch against the server; JSON bodies are sent with the right content type. */
  request(method: string, path: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>
  /** The same, with the admin key. */
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }>
  /** Creates an app and returns its id and secret values per platform. */
  createApp(name?: string, environment?: string): Promise<{ appId: string; secrets: { web: string; ios: string; android: string }; secretIds: { web: string; ios: string; android: string } }>
  /** Stops the server; removes the data folder unless keepData. */
  close(options?: { keepData?: boolean }): Promise<void>
}

/**
 * A real Verity server on a random loopback port, on real SQLite in a temp folder (or PostgreSQL
 * when `env.DATABASE_URL` is given). Logs are silent unless VERITY_TEST_LOGS is set.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  dataDir?: string,
  options: { logLines?: string[]; diagnosisBudget?: StartOptions['diagnosisBudget']; retentionIntervalMs?: number; shutdownGraceMs?: number; jwksClock?: StartOptions['jwksClock']; webhooks?: StartOptions['webhooks']; dashboardFolder?: StartOptions['dashboardFolder'] } = {},
): Promise<TestServer> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'verity-test-'))
  const config = parseServerConfig({ port: '0', dataDir: dir }, { VERITY_ADMIN_KEY: TEST_ADMIN_KEY, ...env })
  const lines = options.logLines
  // With logLines, the product's own logger (and its redaction) writes every line there.
  const logger = lines
    ? createLogger('debug', new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done() } }))
    : pino({ level: process.env.VERITY_TEST_LOGS ? 'debug' : 'silent' })
  const running = await startServer(config, {
    logger,
    announce: () => {},
    shutdownGraceMs: options.shutdownGraceMs ?? 2_000,
    onReply: checkReplyAgainstSchema,
    ...(options.diagnosisBudget && { diagnosisBudget: options.diagnosisBudget }),
    ...(options.retentionIntervalMs !== undefined && { retentionIntervalMs: options.retentionIntervalMs }),
    ...(options.jwksClock && { jwksClock: options.jwksClock }),
    ...(options.webhooks && { webhooks: options.webhooks }),
    ...(options.dashboardFolder !== undefined && { dashboardFolder: options.dashboardFolder }),
  })

  const request: TestServer['request'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
    let body: string | undefined
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json'
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    }
    const res = await fetch(`${running.url}${path}`, { method, headers, body })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers }
  }
  const admin: TestServer['admin'] = (method, path, body) =>
    request(method, path, { ...(body !== undefined && { body }), token: TEST_ADMIN_KEY })

  return {
    url: running.url,
    dataDir: dir,
    running,
    config,
    request,
    admin,
    async createApp(name = 'Test app', environment = 'production') {
      const res = await admin('POST', '/admin/v1/apps', { name, environment })
      if (res.status !== 201) throw new Error(`createApp failed: ${res.status} ${JSON.stringify(res.body)}`)
      const s = res.body.secrets
      return {
        appId: res.body.app.id,
        secrets: { web: s.web.value, ios: s.ios.value, android: s.android.value },
        secretIds: { web: s.web.id, ios: s.ios.id, android: s.android.id },
      }
    },
    async close(options = {}) {
      await running.close()
      if (!options.keepData && !dataDir) rmSync(dir, { recursive: true, force: true })
    },
  }
}
