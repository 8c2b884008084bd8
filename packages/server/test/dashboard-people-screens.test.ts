import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import decodeQR from '@paulmillr/qr/decode.js'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { addTeammate, GOOD_PASSWORD, signIn, TEST_SCRYPT_ENV } from './support/teammates.js'
import { base32Decode, totp } from '../src/crypto/totp.js'
import type { TestServer } from './support/test-server.js'
import { StaticSite } from '../src/http/static-site.js'

/** Debian's Chromium (scripts/install-test-packages.sh installs it); a browser is never downloaded. */
const CHROMIUM = '/usr/bin/chromium'
const SCREENSHOTS = join(fileURLToPath(new URL('../../../test-results/dashboard/', import.meta.url)))
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

describe.each(BACKENDS)('the audit log, teammates and account screens in a real browser (%s)', (backend) => {
  let server: TestServer
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const problems: string[] = []
  const requested: string[] = []
  const shoot = async (name: string, fullPage = false): Promise<void> => {
    if (backend === 'sqlite') await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage })
  }
  const watch = (p: Page): Page => {
    p.setDefaultTimeout(10_000)
    p.on('request', (req) => requested.push(req.url()))
    p.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    p.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    return p
  }
  const signInAs = async (p: Page, email: string, password = GOOD_PASSWORD): Promise<void> => {
    await p.goto(`${server.url}/`)
    await p.getByLabel('Email').fill(email)
    await p.getByLabel('Password').fill(password)
    await p.getByRole('button', { name: 'Sign in' }).click()
    await p.getByRole('navigation', { name: 'Main' }).waitFor()
  }
  const go = async (name: string): Promise<void> => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click()
    await page.getByRole('heading', { name, level: 1 }).waitFor()
  }
  const confirmPassword = async (): Promise<void> => {
    const dialog = page.getByRole('dialog', { name: 'Confirm your password' })
    await dialog.getByLabel('Password').fill(GOOD_PASSWORD)
    await dialog.getByRole('button', { name: 'Confirm' }).click()
    await dialog.waitFor({ state: 'detached' })
  }
  const rowOf = (text: string) => page.getByRole('row').filter({ hasText: text })

  beforeAll(async () => {
    if (!existsSync(join(StaticSite.DEFAULT_FOLDER, 'index.html'))) throw new Error('the dashboard is not built: run npm run build')
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-packages.sh`)
    server = await startBackendServer(backend, { ...TEST_SCRYPT_ENV, VERITY_PUBLIC_URL: 'https://verity.example' })
    await addTeammate(server, 'owner@example.com', 'owner')
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
    page = watch(await context.newPage())
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('filters the audit log and downloads the same filter as CSV', async () => {
    const app = await server.admin('POST', '/admin/v1/apps', { name: 'Shop', environment: 'production' })
    const other = await server.admin('POST', '/admin/v1/apps', { name: 'Blog', environment: 'test' })
    expect((await server.admin('PATCH', `/admin/v1/apps/${app.body.app.id}/platforms/web`, { enforced: true })).status).toBe(200)
    expect((await server.admin('PATCH', `/admin/v1/apps/${other.body.app.id}/platforms/ios`, { enforced: true })).status).toBe(200)

    await signInAs(page, 'owner@example.com')
    await go('Audit log')
    await rowOf('app.created').first().waitFor()
    expect(await rowOf('app.created').count()).toBe(2)

    // Keyboard only: type an action, Enter submits the filter form.
    await page.getByLabel('Action', { exact: true }).focus()
    await page.keyboard.type('platform.enforced')
    await page.keyboard.press('Enter')
    await expect.poll(() => rowOf('app.created').count()).toBe(0)
    // The filtered page replaces the table: wait for its rows, not only for the old ones to go.
    await expect.poll(() => rowOf('platform.enforced').count()).toBe(2)
    await page.getByLabel('App', { exact: true }).selectOption({ label: 'Shop (production)' })
    await page.getByRole('button', { name: 'Filter', exact: true }).click()
    await expect.poll(() => rowOf('platform.enforced').count()).toBe(1)
    expect(await rowOf('platform.enforced').textContent()).toContain('Shop (web)')
    // The filter is in the address: a reload keeps it.
    expect(new URL(page.url()).searchParams.get('action')).toBe('platform.enforced')
    await shoot('audit-log')

    // The CSV link carries the same filter; a cookie session downloads it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()])
    expect(download.suggestedFilename()).toBe('verity-audit-log.csv')
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n')
    expect(csv[0]).toBe('id,at,actor,client,action,app_id,platform,target,details')
    expect(csv).toHaveLength(2)
    expect(csv[1]).toContain(`,platform.enforced,${app.body.app.id},web,`)

    // A day with no events says what to do next.
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)
    await page.getByLabel('Since', { exact: true }).fill(tomorrow)
    await page.getByRole('button', { name: 'Filter', exact: true }).click()
    await page.getByText('No event matches these filters.', { exact: false }).waitFor()
    // A filter the server refuses is said in words with its code.
    await page.goto(`${server.url}/audit-log?action=${'x'.repeat(101)}`)
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('invalid_request')
  })

  it('invites a teammate who accepts in another browser, changes a role, refuses the last owner, removes', async () => {
    await page.goto(`${server.url}/teammates`)
    await page.getByRole('heading', { name: 'Teammates', level: 1 }).waitFor()
    await rowOf('owner@example.com').waitFor()

    // Keyboard only: the button opens the dialog with focus in Email; Tab, arrows and Enter do the rest.
    await page.getByRole('button', { name: 'Invite teammate' }).focus()
    await page.keyboard.press('Enter')
    const invite = page.getByRole('dialog', { name: 'Invite teammate' })
    expect(await invite.getByLabel('Email').evaluate((el) => el === document.activeElement)).toBe(true)
    await page.keyboard.type('noor@example.com')
    await invite.getByLabel('Role').selectOption('agent')
    await invite.getByRole('button', { name: 'Create invite link' }).click()
    await confirmPassword()
    const linkField = page.getByRole('textbox', { name: 'Invite link' })
    const inviteUrl = new URL(await linkField.inputValue())
    expect(inviteUrl.origin).toBe('https://verity.example')
    expect(inviteUrl.hash).toMatch(/^#invite=/)
    await page.getByRole('button', { name: 'Copy' }).click()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(inviteUrl.href)
    expect(await rowOf('noor@example.com').textContent()).toContain('agent, invited')
    await shoot('teammates')

    // A second browser (its own cookies) accepts the invite and signs in.
    const other = await browser.newContext({ viewport: { width: 1200, height: 800 } })
    const theirs = watch(await other.newPage())
    await theirs.goto(`${server.url}/${inviteUrl.hash}`)
    await theirs.getByLabel('Password').fill('noor-fine-password-1')
    await theirs.getByRole('button', { name: 'Set password' }).click()
    await theirs.getByRole('status').getByText('Your password is set. Sign in with it.').waitFor()
    await theirs.getByLabel('Password').fill('noor-fine-password-1')
    await theirs.getByRole('button', { name: 'Sign in' }).click()
    await theirs.getByRole('navigation', { name: 'Main' }).waitFor()
    expect(await theirs.evaluate(async () => (await fetch('/admin/v1/session')).status)).toBe(200)

    // The owner sees them active, and makes them admin: their session ends at once.
    await page.reload()
    await expect.poll(() => rowOf('noor@example.com').textContent()).not.toContain('invited')
    await rowOf('noor@example.com').getByRole('combobox', { name: 'Role of noor@example.com' }).selectOption('admin')
    await rowOf('noor@example.com').getByRole('button', { name: 'Change role' }).click()
    await page.getByRole('status').getByText('noor@example.com is now admin.', { exact: false }).waitFor()
    expect((await server.admin('GET', '/admin/v1/teammates')).body.teammates.find((t: { email: string }) => t.email === 'noor@example.com').role).toBe('admin')
    expect(await theirs.evaluate(async () => (await fetch('/admin/v1/session')).status)).toBe(401)
    await other.close()

    // The last owner cannot step down: said in words, with the API's code.
    await rowOf('owner@example.com').getByRole('combobox', { name: 'Role of owner@example.com' }).selectOption('admin')
    await rowOf('owner@example.com').getByRole('button', { name: 'Change role' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Verity needs at least one owner: make another teammate owner first. (last_owner)')

    // Remove, after a confirmation; Cancel first changes nothing.
    await rowOf('noor@example.com').getByRole('button', { name: 'Remove' }).click()
    await page.getByRole('dialog', { name: 'Remove noor@example.com?' }).getByRole('button', { name: 'Cancel' }).click()
    expect(await rowOf('noor@example.com').count()).toBe(1)
    await rowOf('noor@example.com').getByRole('button', { name: 'Remove' }).click()
    await page.getByRole('dialog', { name: 'Remove noor@example.com?' }).getByRole('button', { name: 'Remove teammate' }).click()
    await page.getByRole('status').getByText('noor@example.com is removed.').waitFor()
    expect(await rowOf('noor@example.com').count()).toBe(0)

    // The audit log shows the role change as before and after.
    await page.goto(`${server.url}/audit-log?action=teammate.role_changed`)
    await expect.poll(() => rowOf('teammate.role_changed').textContent()).toContain('role: agent → admin')
  })

  it('ends another session, and all others', async () => {
    await addTeammate(server, 'me@example.com', 'admin')
    await context.clearCookies()
    await signInAs(page, 'me@example.com')
    const laptop = await signIn(server, 'me@example.com')
    await go('Account')
    const sessions = page.getByRole('region', { name: 'Sessions' })
    await expect.poll(() => sessions.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(1)
    await sessions.getByRole('cell', { name: 'This session' }).waitFor()
    await sessions.getByRole('button', { name: 'Sign out', exact: true }).click()
    await sessions.getByText('You are signed in nowhere else.').waitFor()
    expect((await laptop.call('GET', '/admin/v1/session')).status).toBe(401)

    const phone = await signIn(server, 'me@example.com')
    const tablet = await signIn(server, 'me@example.com')
    await page.reload()
    await expect.poll(() => sessions.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(2)
    await sessions.getByRole('button', { name: 'Sign out all other sessions' }).click()
    await sessions.getByText('You are signed in nowhere else.').waitFor()
    expect((await phone.call('GET', '/admin/v1/session')).status).toBe(401)
    expect((await tablet.call('GET', '/admin/v1/session')).status).toBe(401)
    expect(await page.evaluate(async () => (await fetch('/admin/v1/session')).status)).toBe(200)
  })

  it('creates an API token shown once, which works until it is revoked', async () => {
    const tokens = page.getByRole('region', { name: 'API tokens' })
    await tokens.getByText('No API token yet.', { exact: false }).waitFor()
    await tokens.getByLabel('Token name').fill('deploy script')
    expect(await tokens.getByLabel('Token role').locator('option').allTextContents()).toEqual(['admin', 'agent'])
    await tokens.getByLabel('Expires in days').fill('30')
    await tokens.getByRole('button', { name: 'Create token' }).click()
    await confirmPassword()
    const value = await tokens.getByRole('textbox', { name: 'Token value' }).inputValue()
    expect(value).toMatch(/^vpt_/)
    const call = (): Promise<number> => fetch(`${server.url}/admin/v1/apps`, { headers: { authorization: `Bearer ${value}` } }).then((r) => r.status)
    expect(await call()).toBe(200)
    const row = tokens.getByRole('row').filter({ hasText: 'deploy script' })
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('admin')
    await shoot('account-tokens')

    await row.getByRole('button', { name: 'Revoke deploy script' }).click()
    await tokens.getByRole('status').getByText('deploy script is revoked', { exact: false }).waitFor()
    expect(await call()).toBe(401)
    await tokens.getByText('No API token yet.', { exact: false }).waitFor()
  })

  it('changes the password: a wrong current one is refused with its code', async () => {
    const password = page.getByRole('region', { name: 'Password' })
    await password.getByLabel('Current password').fill('not-my-password-at-all')
    await password.getByLabel('New password').fill('a-brand-new-pass-42')
    await password.getByRole('button', { name: 'Change password' }).click()
    await expect.poll(() => password.getByRole('alert').textContent()).toContain('invalid_credentials')
    await password.getByLabel('Current password').fill(GOOD_PASSWORD)
    await password.getByRole('button', { name: 'Change password' }).click()
    await password.getByRole('status').getByText('Your password is changed.', { exact: false }).waitFor()
    expect((await server.request('POST', '/admin/v1/session', { body: { email: 'me@example.com', password: 'a-brand-new-pass-42' } })).status).toBe(200)
  })

  it('sets up two-factor sign-in from the QR code, then signs in with an authentication code', async () => {
    const twoFactor = page.getByRole('region', { name: 'Two-factor sign-in' })
    await twoFactor.getByRole('button', { name: 'Set up two-factor sign-in' }).click()
    const qr = twoFactor.getByRole('img', { name: 'QR code for your authenticator app' })
    await qr.waitFor()
    const secret = await twoFactor.getByLabel('Secret', { exact: true }).inputValue()

    // What a phone's camera reads: the QR code, drawn to pixels and decoded, is the otpauth URL.
    const size = 360
    const pixels = await qr.evaluate(async (svg, size) => {
      const image = new Image()
      image.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(new XMLSerializer().serializeToString(svg))}`
      await image.decode()
      const canvas = document.createElement('canvas')
      canvas.width = size
      canvas.height = size
      const ctx = canvas.getContext('2d')!
      ctx.drawImage(image, 0, 0, size, size)
      return Array.from(ctx.getImageData(0, 0, size, size).data)
    }, size)
    const url = new URL(decodeQR({ width: size, height: size, data: pixels }))
    expect(url.protocol).toBe('otpauth:')
    expect(url.searchParams.get('secret')).toBe(secret)
    await shoot('account-two-factor')

    await twoFactor.getByLabel('Code from the app').fill('000000')
    await twoFactor.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
    await expect.poll(() => twoFactor.getByRole('alert').textContent()).toContain('totp_invalid')
    const key = base32Decode(secret)
    await twoFactor.getByLabel('Code from the app').fill(totp(key, Date.now() / 1000))
    await twoFactor.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
    const codes = twoFactor.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')
    await expect.poll(() => codes.count()).toBe(10)

    // The header's button: the Sessions table has its own "Sign out" for each other session, such as
    // the one the password test opened.
    await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.getByLabel('Email').fill('me@example.com')
    await page.getByLabel('Password').fill('a-brand-new-pass-42')
    await page.getByRole('button', { name: 'Sign in' }).click()
    // A code is single use: the next step's code (within the allowed drift) signs in.
    await page.getByLabel('Authentication code').fill(totp(key, Date.now() / 1000 + 30))
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Main' }).waitFor()
    await go('Account')
    await page.getByRole('region', { name: 'Two-factor sign-in' }).getByText('Two-factor sign-in is on', { exact: false }).waitFor()
  })

  it('fits a phone-sized screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    for (const [path, ready] of [['/audit-log', 'app.created'], ['/teammates', 'owner@example.com'], ['/account', 'This session']] as const) {
      await page.goto(`${server.url}${path}`)
      await page.getByText(ready, { exact: false }).first().waitFor()
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390)
      expect(await page.evaluate(() => [...document.querySelectorAll('.table-wrap')].filter((w) => w.scrollWidth > w.clientWidth).length), path).toBe(0)
    }
    await shoot('account-phone', true)
  })

  it('loads nothing from another origin and breaks no policy', () => {
    const origin = new URL(server.url).origin
    expect(requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin)).toEqual([])
    expect(problems.filter((p) => !/status of (400|401|403|409|410)/.test(p))).toEqual([])
  })
})
