// The platform tools on an app's page (secrets, the proof tester, code, the 30-day chart), in a
// real browser by accessible names, against a real server on each backend.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, startBackendServer } from './support/backends.js'
import { openDashboardBrowser, type DashboardBrowser } from './support/browser.js'
import { hmacHex } from './support/hmac.js'
import { addTeammate, GOOD_PASSWORD, TEST_SCRYPT_ENV } from './support/teammates.js'
import type { TestServer } from './support/test-server.js'
import { within } from './support/within.js'

const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url))
/** The languages of docs/snippets.md's table, read here on their own, not through the build. */
const LANGUAGES = [...readFileSync(`${DOCS}snippets.md`, 'utf8').matchAll(/^\| ([^|]+?) \| \[`/gm)].map((m) => m[1]!)

/** Opens one of a region's tools ("Secrets", "Test a user hash", "Code") with the keyboard, if it is closed. */
async function openTool(region: Locator, name: string): Promise<Locator> {
  const details = region.locator('details.tool-box', { has: region.page().locator('summary', { hasText: name }) })
  if ((await details.getAttribute('open')) === null) {
    await details.locator('summary').focus()
    await region.page().keyboard.press('Enter')
  }
  return details
}

/** Each chart's box is exactly the height kept for it while loading: the page below it does not move. */
async function chartSlotsKeepTheirHeight(page: Page): Promise<void> {
  const slots = await page.evaluate(() => [...document.querySelectorAll('.chart-slot')].map((s) => [s.getBoundingClientRect().height, parseFloat(getComputedStyle(s).minHeight)]))
  expect(slots).toHaveLength(3)
  for (const [height, reserved] of slots) expect(height).toBe(reserved)
}

async function confirmPassword(page: Page): Promise<void> {
  const confirm = page.getByRole('dialog', { name: 'Confirm your password' })
  await confirm.getByLabel('Password').fill(GOOD_PASSWORD)
  await confirm.getByRole('button', { name: 'Confirm' }).click()
  await confirm.waitFor({ state: 'detached' })
}

describe.each(BACKENDS)('the platform tools of an app, in a real browser (%s)', (backend) => {
  let server: TestServer
  let browser: DashboardBrowser
  let page: Page
  let app: Awaited<ReturnType<TestServer['createApp']>>
  /** The UTC day of the one verified attempt (the chart's test looks for it). */
  let provenOn = ''

  const openApp = async (): Promise<void> => {
    await page.goto(`${server.url}/apps/${app.appId}`)
    await page.getByRole('heading', { name: /^Shop/, level: 1 }).waitFor()
  }
  const region = (name: string): Locator => page.getByRole('region', { name, exact: true })

  beforeAll(async () => {
    server = await startBackendServer(backend, TEST_SCRYPT_ENV)
    await addTeammate(server, 'owner@example.com', 'owner')
    app = await server.createApp('Shop')
    browser = await openDashboardBrowser(server, { screenshots: backend === 'sqlite' })
    page = browser.page
    await browser.signIn('owner@example.com')
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('shows an app without traffic the snippet of every language and the SDK call, with the secret in an environment variable', async () => {
    await openApp()
    const web = region('Web')
    // Open by itself: no user has been seen yet.
    await web.getByText('No Web user has been seen yet.', { exact: false }).waitFor()
    const language = web.getByLabel('Language')
    const options = await language.locator('option').allTextContents()
    expect(LANGUAGES.length).toBeGreaterThanOrEqual(16)
    for (const name of LANGUAGES) expect(options).toContain(name)
    expect(options).toContain('Messenger SDK (@verity/messenger)')
    // The default: the @verity/node call, then the SDK call.
    await web.getByText("userHash(process.env.VERITY_WEB_SECRET!, identity)", { exact: false }).waitFor()
    await web.getByText('await messenger.login({ userId, email, userHash })', { exact: false }).waitFor()
    await browser.shoot('app-code-empty', web)

    // The Python file exactly as docs/snippets has it, and its command with the variable.
    await language.selectOption('Python')
    const python = readFileSync(`${DOCS}snippets/user_hash.py`, 'utf8')
    expect(await web.locator('pre').first().textContent()).toBe(python)
    await web.getByText('python3 user_hash.py "$VERITY_WEB_SECRET" "$USER_ID"', { exact: true }).waitFor()
    await language.selectOption('Rust')
    expect(await web.locator('figure.code figcaption').allTextContents()).toEqual(['docs/snippets/rust/Cargo.toml', 'docs/snippets/rust/src/main.rs', 'Run', 'The app'])
    await language.selectOption('Messenger SDK (@verity/messenger)')
    await web.getByText(`appId: "${app.appId}", platform: "web"`, { exact: false }).waitFor()
    // iOS has its own variable.
    await region('iOS').getByText('VERITY_IOS_SECRET', { exact: false }).waitFor()
    // No secret anywhere on the page.
    const text = await page.locator('body').innerText()
    for (const secret of Object.values(app.secrets)) expect(text).not.toContain(secret)
  })

  it('tests a user hash on the server: Verified, or the diagnosis with what to do, recording nothing', async () => {
    await openApp()
    const web = region('Web')
    const tester = await openTool(web, 'Test a user hash')
    await tester.getByLabel('User ID').fill('u-9')
    await tester.getByLabel('User hash').fill(hmacHex(app.secrets.web, 'u-9'))
    await tester.getByRole('button', { name: 'Test' }).click()
    await tester.getByText('Verified', { exact: true }).waitFor()
    await browser.shoot('app-tester-verified', tester)

    await tester.getByLabel('User hash').fill(hmacHex(app.secrets.ios, 'u-9'))
    await tester.getByRole('button', { name: 'Test' }).click()
    await tester.getByText('Not verified: other_platform_secret').waitFor()
    await tester.getByText('Use the secret of the platform the messenger reports', { exact: false }).waitFor()

    await tester.getByLabel('User hash').fill(hmacHex(app.secrets.web, 'u-9\n'))
    await tester.getByRole('button', { name: 'Test' }).click()
    await tester.getByText('Not verified: identifier_whitespace').waitFor()
    await browser.shoot('app-tester-diagnosis', tester)

    // An identity token beside a user id: refused in words with the API's code.
    await tester.getByLabel('User hash').fill('')
    await tester.getByLabel('Identity token').fill('a.b.c')
    await tester.getByRole('button', { name: 'Test' }).click()
    await expect.poll(() => tester.getByRole('alert').textContent()).toContain('invalid_request')

    // Nothing was recorded: no failure, no user in the rollout, the secret never used.
    expect((await server.admin('GET', `/admin/v1/apps/${app.appId}/failures`)).body.failures).toEqual([])
    expect((await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/rollout`)).body.totals.users).toBe(0)
    expect((await server.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.web.secrets[0].last_used_at).toBeNull()
  })

  it('reveals and copies a secret after the password, rotates, and says whom a secret served before revoking it', async () => {
    // The web secret verifies one user this week.
    const proven = await server.request('POST', '/v1/messenger/auth', { body: { app_id: app.appId, platform: 'web', user_id: 'u-1', app_version: '2.0.0', user_hash: hmacHex(app.secrets.web, 'u-1') } })
    expect(proven.body.user.verified).toBe(true)
    provenOn = new Date().toISOString().slice(0, 10)
    await within(5_000, 'the attempt reaches the rollout', async () => (await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/rollout`)).body.secrets[0]?.users === 1)

    await openApp()
    const web = region('Web')
    const secrets = await openTool(web, 'Secrets')
    const first = secrets.getByRole('group', { name: `Secret ${app.secretIds.web}` })
    // The secrets load after the section opens: wait for the group before reading its values.
    await first.waitFor()
    expect(await first.getByRole('definition').allTextContents()).toEqual([expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/), expect.stringMatching(/UTC$/), '1'])
    for (const term of ['Created', 'Last used', 'Users this week']) await first.getByRole('term').getByText(term, { exact: true }).waitFor()

    // Reveal asks for the password (the server answers reauthentication_required), then shows the value.
    await first.getByRole('button', { name: 'Reveal' }).click()
    await confirmPassword(page)
    expect(await first.getByLabel(`Secret ${app.secretIds.web}`).inputValue()).toBe(app.secrets.web)
    await first.getByRole('button', { name: 'Copy' }).click()
    await expect.poll(() => first.getByRole('status').textContent()).toBe('Web secret copied.')
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(app.secrets.web)
    await browser.shoot('app-secrets', secrets)

    // Rotate: a second secret, shown with its value; the first keeps working.
    await secrets.getByRole('button', { name: 'Rotate' }).click()
    await secrets.getByRole('status').getByText(/^New Web secret sec_\w+ added\./).waitFor()
    const listed = (await server.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.web.secrets as { id: string }[]
    expect(listed).toHaveLength(2)
    const second = listed.find((s) => s.id !== app.secretIds.web)!.id
    const rotated = (await server.admin('GET', `/admin/v1/apps/${app.appId}/platforms/web/secrets`)).body.secrets.find((s: { id: string }) => s.id === second).value
    expect(await secrets.getByRole('group', { name: `Secret ${second}` }).getByLabel(`Secret ${second}`).inputValue()).toBe(rotated)

    // Revoke the first: the dialog first says how many users it served this week; Cancel changes nothing.
    await first.getByRole('button', { name: 'Revoke' }).click()
    const revoke = page.getByRole('dialog', { name: `Revoke secret ${app.secretIds.web}?` })
    await revoke.getByText('This secret verified 1 user in the last 7 days', { exact: false }).waitFor()
    await browser.shoot('app-revoke-dialog')
    await revoke.getByRole('button', { name: 'Cancel' }).click()
    expect((await server.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.web.secrets).toHaveLength(2)
    await first.getByRole('button', { name: 'Revoke' }).click()
    await page.getByRole('dialog', { name: `Revoke secret ${app.secretIds.web}?` }).getByRole('button', { name: 'Revoke secret' }).click()
    await secrets.getByRole('status').getByText(`Secret ${app.secretIds.web} is revoked.`).waitFor()
    expect((await server.admin('GET', `/admin/v1/apps/${app.appId}`)).body.app.platforms.web.secrets.map((s: { id: string }) => s.id)).toEqual([second])

    // The last active secret cannot go: the refusal is in words, with the API's code.
    await secrets.getByRole('group', { name: `Secret ${second}` }).getByRole('button', { name: 'Revoke' }).click()
    const last = page.getByRole('dialog', { name: `Revoke secret ${second}?` })
    await last.getByText('This secret has not verified anyone in the last 7 days.').waitFor()
    await last.getByRole('button', { name: 'Revoke secret' }).click()
    await expect.poll(() => last.getByRole('alert').textContent()).toContain('last_active_secret')
    await page.keyboard.press('Escape')
  })

  it('draws the chart "Verified users by day" over 30 days, with its values, in the space kept for it', async () => {
    await openApp()
    const web = region('Web')
    const chart = web.getByRole('img', { name: 'Verified users by day' })
    await chart.waitFor()
    // The same numbers in words and in a table, for whoever does not see the bars.
    const values = web.locator('figure.chart details')
    await values.locator('summary').click()
    expect(await values.getByRole('row').count()).toBe(31)
    const day = values.getByRole('row', { name: new RegExp(`^${provenOn}`) })
    expect(await day.getByRole('cell').allTextContents()).toEqual(['1', '1', '0', '0'])
    const described = await chart.getAttribute('aria-describedby')
    expect(await page.locator(`#${described}`).textContent()).toContain('the most verified users in a day were 1')
    // The iOS chart: a month without users says so.
    const iosChart = region('iOS').getByRole('img', { name: 'Verified users by day' })
    await iosChart.waitFor()
    expect(await page.locator(`#${await iosChart.getAttribute('aria-describedby')}`).textContent()).toMatch(/^No user was seen from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\.$/)
    await browser.shoot('app-chart', web.locator('figure.chart'))
    await values.locator('summary').click()
    await chartSlotsKeepTheirHeight(page)
  })

  it('fits a phone-sized screen with the tools open', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    await openApp()
    const web = region('Web')
    await openTool(web, 'Secrets')
    await web.getByRole('button', { name: 'Rotate' }).waitFor()
    await openTool(web, 'Test a user hash')
    await openTool(web, 'Code')
    await web.getByLabel('Language').waitFor()
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await web.getByRole('img', { name: 'Verified users by day' }).waitFor()
    await chartSlotsKeepTheirHeight(page)
    await browser.shoot('app-tools-phone', true)
    await page.setViewportSize({ width: 1200, height: 900 })
  })

  it('loads nothing from another origin and breaks no policy', () => {
    const origin = new URL(server.url).origin
    expect(browser.requested.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin)).toEqual([])
    // 401 is the session check before signing in, 403 the reauthentication the secrets ask for, 400 and 409 the refusals the test makes.
    expect(browser.problems.filter((p) => !/status of (400|401|403|409)/.test(p)), browser.problems.join('\n')).toEqual([])
  })
})
