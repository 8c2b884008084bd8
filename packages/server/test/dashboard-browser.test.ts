import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { addTeammate, GOOD_PASSWORD, signIn, TEST_SCRYPT_ENV } from './support/teammates.js'
import { base32Decode, totp } from '../src/crypto/totp.js'
import type { TestServer } from './support/test-server.js'
import { within } from './support/within.js'
import { hmacHex } from './support/hmac.js'
import { DASHBOARD_CSP, StaticSite } from '../src/http/static-site.js'

/** Debian's Chromium (scripts/install-test-packages.sh installs it); a browser is never downloaded. */
const CHROMIUM = '/usr/bin/chromium'
/** Where the screenshots go (ignored by git; CI can keep the folder). */
const SCREENSHOTS = join(fileURLToPath(new URL('../../../test-results/dashboard/', import.meta.url)))
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

describe.each(BACKENDS)('the dashboard in a real browser (%s)', (backend) => {
  let server: TestServer
  let context: BrowserContext
  let page: Page
  let profile: string
  const requested: string[] = []
  const problems: string[] = []
  /** Screenshots of each screen, as test artifacts (once, from the SQLite run). */
  const shoot = async (name: string, fullPage = false): Promise<void> => {
    if (backend === 'sqlite') await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage })
  }

  beforeAll(async () => {
    if (!existsSync(join(StaticSite.DEFAULT_FOLDER, 'index.html'))) throw new Error('the dashboard is not built: run npm run build')
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-packages.sh`)
    // The public URL only names where invite links point; the browser reaches the server on loopback.
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_PUBLIC_URL: 'https://verity.example' })
    await addTeammate(server, 'owner@example.com', 'owner')
    profile = mkdtempSync(join(tmpdir(), 'verity-chromium-'))
    // A persistent context is how Playwright takes a fresh --user-data-dir of our own.
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    page = context.pages()[0] ?? (await context.newPage())
    page.setDefaultTimeout(10_000)
    page.on('request', (req) => requested.push(req.url()))
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

  it('takes an owner from sign-in to an enforced platform, by accessible names', async () => {
    const first = await page.goto(`${server.url}/`)
    expect(first!.status()).toBe(200)
    expect(first!.headers()['content-security-policy']).toBe(DASHBOARD_CSP)
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    await shoot('sign-in')

    // Sign in: a wrong password is refused in words with the API's code, then the right one works.
    await page.getByLabel('Email').fill('owner@example.com')
    await page.getByLabel('Password').fill('not-the-password-at-all')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid_credentials')
    await page.getByLabel('Password').fill(GOOD_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()

    const nav = page.getByRole('navigation', { name: 'Main' })
    for (const name of ['Apps', 'Inbox', 'Audit log', 'Teammates', 'Account']) await nav.getByRole('link', { name, exact: true }).waitFor()
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor()

    // A new app: its three secrets, each with a Copy button that copies it.
    await page.getByRole('button', { name: 'New app' }).click()
    const create = page.getByRole('dialog', { name: 'New app' })
    await create.getByLabel('Name').fill('Shop')
    await create.getByLabel('Environment').selectOption('production')
    await create.getByRole('button', { name: 'Create app' }).click()
    for (const platform of ['Web', 'iOS', 'Android']) {
      const group = page.getByRole('group', { name: `${platform} secret` })
      expect(await group.getByLabel(`${platform} secret`).inputValue()).toMatch(/\S{20,}/)
      await group.getByRole('button', { name: 'Copy' }).waitFor()
    }
    const web = page.getByRole('group', { name: 'Web secret' })
    const webSecret = await web.getByLabel('Web secret').inputValue()
    await shoot('app-created')
    await web.getByRole('button', { name: 'Copy' }).click()
    await expect.poll(() => web.getByRole('status').textContent()).toBe('Web secret copied.')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await web.getByLabel('Web secret').inputValue())

    // The app page: three platform regions, all monitoring, each with its versions table.
    await page.getByRole('link', { name: 'Shop', exact: true }).click()
    await page.getByRole('heading', { name: /^Shop/, level: 1 }).waitFor()
    const appId = new URL(page.url()).pathname.split('/').pop()!
    for (const platform of ['Web', 'iOS', 'Android']) {
      const region = page.getByRole('region', { name: platform, exact: true })
      await region.getByText('Monitoring', { exact: true }).waitFor()
      for (const header of ['App version', 'Users', 'Verified', 'Missing', 'Invalid']) {
        await region.getByRole('columnheader', { name: header, exact: true }).waitFor()
      }
    }

    await shoot('app-monitoring')

    // A user without a proof on version 1.2.0 (the forecast names them), and a verified one on 2.0.0.
    const unproven = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'u-1', app_version: '1.2.0' } })
    expect(unproven.status).toBe(200)
    const proven = await server.request('POST', '/v1/messenger/auth', { body: { app_id: appId, platform: 'web', user_id: 'u-2', app_version: '2.0.0', user_hash: hmacHex(webSecret, 'u-2') } })
    expect(proven.body.user.verified).toBe(true)
    await within(5_000, 'the attempts reach the rollout', async () => (await server.admin('GET', `/admin/v1/apps/${appId}/platforms/web/rollout`)).body.totals.users === 2)

    const webRegion = page.getByRole('region', { name: 'Web', exact: true })
    await webRegion.getByRole('button', { name: 'Enforce', exact: true }).click()
    const enforce = page.getByRole('dialog', { name: 'Enforce Web?' })
    await enforce.getByText('1 user seen in the last 7 days would be refused, on app version 1.2.0.').waitFor()
    await shoot('enforce-dialog')

    // The wrong name enforces nothing.
    await enforce.getByLabel('Type the platform name to confirm').fill('ios')
    await enforce.getByRole('button', { name: 'Enforce Web' }).click()
    await expect.poll(() => enforce.getByRole('alert').textContent()).toBe('Type Web to confirm. Nothing was changed.')
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app.platforms.web.enforced).toBe(false)

    // The right name, then the password the server asks for (reauthentication_required).
    await enforce.getByLabel('Type the platform name to confirm').fill('web')
    await enforce.getByRole('button', { name: 'Enforce Web' }).click()
    const confirm = page.getByRole('dialog', { name: 'Confirm your password' })
    await confirm.getByLabel('Password').fill(GOOD_PASSWORD)
    await confirm.getByRole('button', { name: 'Confirm' }).click()
    await webRegion.getByText('Enforced', { exact: true }).waitFor()
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app.platforms.web.enforced).toBe(true)
    // Redrawn with the traffic since: one row per app version, and the week's totals.
    expect(await webRegion.getByRole('row', { name: /^1\.2\.0/ }).getByRole('cell').allTextContents()).toEqual(['1', '0', '1', '0'])
    expect(await webRegion.getByRole('row', { name: /^2\.0\.0/ }).getByRole('cell').allTextContents()).toEqual(['1', '1', '0', '0'])
    expect(await webRegion.getByRole('definition').allTextContents()).toEqual(['1', '1', '0'])
    await shoot('app-enforced')
    await page.getByRole('region', { name: 'iOS', exact: true }).getByText('Monitoring', { exact: true }).waitFor()

    // And back: the confirmation still holds, so no password is asked again.
    await webRegion.getByRole('button', { name: 'Stop enforcing' }).click()
    await webRegion.getByText('Monitoring', { exact: true }).waitFor()
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app.platforms.web.enforced).toBe(false)

    // Escape closes a dialog without a change, and focus goes back to the button that opened it.
    const ios = page.getByRole('region', { name: 'iOS', exact: true })
    await ios.getByRole('button', { name: 'Enforce', exact: true }).click()
    await page.getByRole('dialog', { name: 'Enforce iOS?' }).getByLabel('Type the platform name to confirm').fill('iOS')
    await page.keyboard.press('Escape')
    await page.getByRole('dialog').waitFor({ state: 'detached' })
    expect(await ios.getByRole('button', { name: 'Enforce', exact: true }).evaluate((el) => el === document.activeElement)).toBe(true)
    expect((await server.admin('GET', `/admin/v1/apps/${appId}`)).body.app.platforms.ios.enforced).toBe(false)

    // The navigation reaches the Inbox (dashboard-live-screens.test.ts tests it).
    await nav.getByRole('link', { name: 'Inbox', exact: true }).click()
    await page.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor()
  })

  it('fits a phone-sized screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await page.goto(`${server.url}/apps`)
    await page.getByRole('link', { name: 'Shop', exact: true }).click()
    await page.getByRole('region', { name: 'Android', exact: true }).getByText('Monitoring', { exact: true }).waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    // Nor inside a card: every column of each versions table is in view.
    expect(await page.evaluate(() => [...document.querySelectorAll('.table-wrap')].map((w) => w.scrollWidth - w.clientWidth))).toEqual([0, 0, 0])
    await shoot('app-phone', true)
  })

  it('asks for the authentication code when the teammate has two-factor sign-in', async () => {
    await addTeammate(server, 'two-step@example.com', 'admin')
    const client = await signIn(server, 'two-step@example.com')
    const begun = await client.call('POST', '/admin/v1/me/totp')
    const enabled = await client.call('POST', '/admin/v1/me/totp/confirm', { code: totp(base32Decode(begun.body.secret), Date.now() / 1000) })
    expect(enabled.status).toBe(200)
    const recovery = (enabled.body.recovery_codes as string[])[0]!

    await context.clearCookies()
    await page.goto(`${server.url}/`)
    await page.getByLabel('Email').fill('two-step@example.com')
    await page.getByLabel('Password').fill(GOOD_PASSWORD)
    expect(await page.getByLabel('Authentication code').isVisible()).toBe(false)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByLabel('Authentication code').fill(recovery)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor()
  })

  it('takes an invited teammate from the invite link to signed in', async () => {
    const invited = await server.admin('POST', '/admin/v1/teammates', { email: 'new@example.com', role: 'admin' })
    expect(invited.status).toBe(201)
    const link = new URL(invited.body.invite_url)
    await context.clearCookies()
    await page.goto(`${server.url}/${link.hash}`)
    await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor()
    await page.getByLabel('Name').fill('Noor')
    await page.getByLabel('Password').fill('short')
    await page.getByRole('button', { name: 'Set password' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid_request')
    await page.getByLabel('Password').fill('another-fine-pass-9')
    await page.getByRole('button', { name: 'Set password' }).click()
    await page.getByRole('status').getByText('Your password is set. Sign in with it.').waitFor()
    expect(new URL(page.url()).hash).toBe('')
    expect(await page.getByLabel('Email').inputValue()).toBe('new@example.com')
    await page.getByLabel('Password').fill('another-fine-pass-9')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor()

    // The link works once.
    await context.clearCookies()
    await page.goto(`${server.url}/${link.hash}`)
    await page.getByLabel('Password').fill('yet-another-pass-10')
    await page.getByRole('button', { name: 'Set password' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invite_expired')
  })

  it('signs out: the session ends on the server too', async () => {
    await context.clearCookies()
    await page.goto(`${server.url}/`)
    await page.getByLabel('Email').fill('owner@example.com')
    await page.getByLabel('Password').fill(GOOD_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    expect(await page.evaluate(async () => (await fetch('/admin/v1/session')).status)).toBe(401)
  })

  it('loads nothing from another origin and breaks no policy', () => {
    const origin = new URL(server.url).origin
    const elsewhere = requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin)
    expect(requested.length).toBeGreaterThan(5)
    expect(elsewhere).toEqual([])
    expect(problems.filter((p) => !/status of (400|401|403|410)/.test(p))).toEqual([])
  })
})
