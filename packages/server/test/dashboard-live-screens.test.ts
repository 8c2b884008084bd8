// The dashboard's live screens in a real browser (Debian's Chromium through playwright-core), by
// accessible names: failures and inbox messages arriving without a reload, a reply, an alert with
// its one-step "Rotate and revoke", and what an agent sees.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StaticSite } from '../src/http/static-site.js'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { hmacHex } from './support/hmac.js'
import { addTeammate, GOOD_PASSWORD, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'
import { within } from './support/within.js'

const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = join(fileURLToPath(new URL('../../../test-results/dashboard/', import.meta.url)))
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

describe.each(BACKENDS)('the dashboard\'s live screens in a real browser (%s)', (backend) => {
  let server: TestServer
  let context: BrowserContext
  let page: Page
  let profile: string
  let app: Awaited<ReturnType<TestServer['createApp']>>
  const problems: string[] = []
  const shoot = async (name: string, fullPage = false): Promise<void> => {
    if (backend === 'sqlite') await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage })
  }
  const auth = (body: Record<string, unknown>) => server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, ...body } })

  /** Signs in through the form, then waits for the screen the role lands on. */
  const signInAs = async (email: string, landing: string): Promise<void> => {
    await context.clearCookies()
    await page.goto(`${server.url}/`)
    await page.getByLabel('Email').fill(email)
    await page.getByLabel('Password').fill(GOOD_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: landing, level: 1 }).waitFor()
  }
  /** The page's live connection is open on the server, so what happens next is news to it. */
  const liveConnected = () => within(5_000, 'the live stream connects', async () => server.running.adminStreams.size >= 1)
  /** A mark on the page's window: still there later means the page never reloaded. */
  const markPage = () => page.evaluate(() => ((window as unknown as { mark: number }).mark = 42))
  const stillSamePage = async () => expect(await page.evaluate(() => (window as unknown as { mark?: number }).mark)).toBe(42)

  beforeAll(async () => {
    if (!existsSync(join(StaticSite.DEFAULT_FOLDER, 'index.html'))) throw new Error('the dashboard is not built: run npm run build')
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-packages.sh`)
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_SPIKE_MIN: '3' })
    await addTeammate(server, 'owner@example.com', 'owner')
    await addTeammate(server, 'agent@example.com', 'agent')
    app = await server.createApp('Shop')
    profile = mkdtempSync(join(tmpdir(), 'verity-chromium-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(10_000)
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
  })
  afterAll(async () => {
    await context?.close()
    await server?.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('shows a new failure at the top of the Failures table without a reload, and filters by platform and diagnosis', async () => {
    await signInAs('owner@example.com', 'Apps')
    await page.goto(`${server.url}/apps/${app.appId}/failures`)
    await page.getByRole('heading', { name: 'Failures: Shop', level: 1 }).waitFor()
    for (const header of ['Time', 'User', 'App version', 'Diagnosis']) await page.getByRole('columnheader', { name: header, exact: true }).waitFor()
    await page.getByText('No failed proofs. Failures appear here as they happen', { exact: false }).waitFor()
    await liveConnected()
    await markPage()

    expect((await auth({ platform: 'web', user_id: 'u-live', user_hash: '0'.repeat(64), app_version: '4.0.0' })).status).toBe(200)
    const row = page.getByRole('row', { name: /u-live/ })
    await row.waitFor()
    expect(await row.getByRole('cell').allTextContents()).toEqual(['u-live Web', '4.0.0', 'unknownlet in unverified'])
    await page.getByRole('status').getByText('1 new failure since you opened this page.').waitFor()
    await stillSamePage()
    await shoot('failures')

    // Filters: iOS hides the web failure; a new iOS failure then arrives live, a web one does not.
    await page.getByLabel('Platform').selectOption('ios')
    await page.getByText('No failed proofs match these filters.', { exact: false }).waitFor()
    await auth({ platform: 'web', user_id: 'u-web-hidden', user_hash: '1'.repeat(64) })
    await auth({ platform: 'ios', user_id: 'u-ios', user_hash: '2'.repeat(64), app_version: '1.0.0' })
    await page.getByRole('row', { name: /u-ios/ }).waitFor()
    expect(await page.getByRole('row', { name: /u-web-hidden/ }).count()).toBe(0)
    await page.getByLabel('Diagnosis').selectOption('secret_sent_by_client')
    await page.getByText('No failed proofs match these filters.', { exact: false }).waitFor()
    await page.getByLabel('Platform').selectOption('')
    await page.getByLabel('Diagnosis').selectOption('')
    // Newest first, the hidden one included once the filter is gone.
    await page.getByRole('row', { name: /u-web-hidden/ }).waitFor()
    const users = await page.locator('tbody tr td:first-of-type').allTextContents()
    expect(users.map((u) => u.split(' ')[0])).toEqual(['u-ios', 'u-web-hidden', 'u-live'])
    await stillSamePage()
  })

  it('shows a failure spike and an exposed secret on the app page as they happen, and rotates and revokes the exposed secret in one step', async () => {
    await page.goto(`${server.url}/apps/${app.appId}`)
    await page.getByRole('heading', { name: /^Shop/, level: 1 }).waitFor()
    await page.getByRole('link', { name: 'Failures', exact: true }).waitFor()
    await liveConnected()
    await markPage()

    // Three invalid proofs on Android (VERITY_SPIKE_MIN=3 here): a spike with its top diagnoses and versions.
    for (const user of ['s-1', 's-2', 's-3']) await auth({ platform: 'android', user_id: user, user_hash: '3'.repeat(64), app_version: '7.1.0' })
    const alerts = page.getByRole('region', { name: 'Alerts' })
    const spike = alerts.getByRole('article', { name: 'Failure spike on Android' })
    await spike.waitFor()
    await spike.getByRole('heading', { name: 'Top diagnoses' }).waitFor()
    expect(await spike.getByRole('listitem').allTextContents()).toEqual(['unknown: 3', '7.1.0: 3'])

    // The web secret itself sent as a user hash: it ships inside an app.
    await auth({ platform: 'web', user_id: 'leaky', user_hash: app.secrets.web })
    const exposed = alerts.getByRole('article', { name: 'Exposed secret on Web' })
    await exposed.getByText(`Secret ${app.secretIds.web} was sent by a client (in user_hash)`, { exact: false }).waitFor()
    await stillSamePage()
    await shoot('app-alerts', true)

    await exposed.getByRole('button', { name: 'Rotate and revoke' }).click()
    const ask = page.getByRole('dialog', { name: 'Rotate and revoke?' })
    await ask.getByText(`secret ${app.secretIds.web} is revoked`, { exact: false }).waitFor()
    await ask.getByRole('button', { name: 'Rotate and revoke' }).click()
    const confirm = page.getByRole('dialog', { name: 'Confirm your password' })
    await confirm.getByLabel('Password').fill(GOOD_PASSWORD)
    await confirm.getByRole('button', { name: 'Confirm' }).click()
    await exposed.getByRole('status').getByText(`Revoked ${app.secretIds.web}.`).waitFor()
    const fresh = await exposed.getByRole('group', { name: 'New Web secret' }).getByLabel('New Web secret').inputValue()
    await shoot('alert-rotated', true)

    // One secret for Web now, the new one: the old one no longer verifies, the new one does.
    const web = (await server.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.web.secrets.map((s: { id: string }) => s.id)
    expect(web).toHaveLength(1)
    expect(web).not.toContain(app.secretIds.web)
    expect((await auth({ platform: 'web', user_id: 'alice', user_hash: hmacHex(app.secrets.web, 'alice') })).body.user?.verified).not.toBe(true)
    expect((await auth({ platform: 'web', user_id: 'alice', user_hash: hmacHex(fresh, 'alice') })).body.user.verified).toBe(true)
    // Both steps are in the audit log, by this teammate.
    const events = (await server.admin('GET', `/admin/v1/audit-log?app_id=${app.appId}`)).body.events as { action: string; actor: string }[]
    expect(events.filter((e) => e.actor === 'teammate:owner@example.com').map((e) => e.action)).toEqual(expect.arrayContaining(['secret.created', 'secret.revoked']))
  })

  it('shows new conversations and messages in the Inbox without a reload, with their badges, and sends a reply', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox', exact: true }).click()
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor()
    await page.getByText('No conversations yet.', { exact: false }).waitFor()
    await liveConnected()
    await markPage()

    const verified = await auth({ platform: 'ios', user_id: 'ada', user_hash: hmacHex(app.secrets.ios, 'ada') })
    const unverified = await auth({ platform: 'android', user_id: 'bob' })
    const anonymous = await auth({ platform: 'web' })
    const write = async (token: string, body: string) => (await server.request('POST', '/v1/messenger/conversations', { token, body: { body } })).body.conversation.id as string
    const adaConversation = await write(verified.body.access_token, 'Is my order shipped?')
    await write(unverified.body.access_token, 'Hello?')
    await write(anonymous.body.access_token, 'Anyone there?')

    const list = page.getByRole('list', { name: 'Conversations' })
    for (const [user, badge] of [['ada', 'Verified'], ['bob', 'Unverified'], ['Visitor', 'Anonymous']]) {
      await list.getByRole('listitem').filter({ hasText: user }).getByText(badge!, { exact: true }).waitFor()
    }
    await stillSamePage()

    await list.getByRole('button', { name: /ada/ }).click()
    const conversation = page.getByRole('region', { name: /ada/ })
    await conversation.getByText('Is my order shipped?').waitFor()
    await conversation.getByLabel('Reply').fill('Yes, it left this morning.')
    await conversation.getByRole('button', { name: 'Send' }).click()
    await conversation.getByText('Yes, it left this morning.').waitFor()
    const seen = await server.request('GET', `/v1/messenger/conversations/${adaConversation}`, { token: verified.body.access_token })
    expect(seen.body.conversation.messages.map((m: { author: string; body: string }) => `${m.author}: ${m.body}`)).toEqual(['user: Is my order shipped?', 'teammate: Yes, it left this morning.'])

    // The user answers: the message appears in the open conversation, once.
    await server.request('POST', `/v1/messenger/conversations/${adaConversation}/messages`, { token: verified.body.access_token, body: { body: 'Thank you!' } })
    await conversation.getByText('Thank you!').waitFor()
    expect(await conversation.getByText('Thank you!').count()).toBe(1)
    expect(await conversation.getByLabel('Reply').inputValue()).toBe('')
    await stillSamePage()
    await shoot('inbox')
  })

  it('gives an agent the Inbox only: they land there, the navigation shows Inbox and Account, app and secret screens are out of reach', async () => {
    await signInAs('agent@example.com', 'Inbox')
    const nav = page.getByRole('navigation', { name: 'Main' })
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Inbox', 'Account'])
    await page.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: 'ada' }).getByText('Verified', { exact: true }).waitFor()
    await shoot('inbox-agent')

    for (const path of [`/apps/${app.appId}`, `/apps/${app.appId}/failures`, '/apps', '/teammates']) {
      await page.goto(`${server.url}${path}`)
      await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor()
      expect(new URL(page.url()).pathname).toBe('/inbox')
    }
    // The API itself refuses the secrets to this session: 403 forbidden.
    const answer = await page.evaluate(async (appId) => {
      const res = await fetch(`/admin/v1/apps/${appId}/platforms/web/secrets`)
      return { status: res.status, body: await res.json() }
    }, app.appId)
    expect(answer.status).toBe(403)
    expect(answer.body.error.code).toBe('forbidden')

    // A user's new message reaches the agent's inbox live.
    await liveConnected()
    await markPage()
    const visitor = await auth({ platform: 'web', user_id: 'carol' })
    await server.request('POST', '/v1/messenger/conversations', { token: visitor.body.access_token, body: { body: 'A question for support' } })
    await page.getByRole('list', { name: 'Conversations' }).getByRole('listitem').filter({ hasText: 'carol' }).getByText('New message').waitFor()
    await stillSamePage()
  })

  it('fits the Inbox and the Failures table on a phone-sized screen', async () => {
    await signInAs('owner@example.com', 'Apps')
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${server.url}/inbox`)
    await page.getByRole('list', { name: 'Conversations' }).getByRole('listitem').first().waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await shoot('inbox-phone', true)
    await page.goto(`${server.url}/apps/${app.appId}/failures`)
    await page.getByRole('row', { name: /u-live/ }).waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    expect(await page.evaluate(() => [...document.querySelectorAll('.table-wrap')].map((w) => w.scrollWidth - w.clientWidth))).toEqual([0])
    await shoot('failures-phone', true)
  })

  it('breaks no policy and logs no page error', () => {
    // Expected: the session check before each sign-in (401) and the agent's refused secrets call (403).
    expect(problems.filter((p) => !/status of (401|403)/.test(p))).toEqual([])
  })
})
