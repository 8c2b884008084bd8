import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { StaticSite } from '../../src/http/static-site.js'
import type { TestServer } from './test-server.js'
import { GOOD_PASSWORD } from './teammates.js'

/** Debian's Chromium (scripts/install-test-packages.sh installs it); a browser is never downloaded. */
export const CHROMIUM = '/usr/bin/chromium'
/** Where the screenshots go (ignored by git; CI can keep the folder). */
export const SCREENSHOTS = join(fileURLToPath(new URL('../../../../test-results/dashboard/', import.meta.url)))
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface DashboardBrowser {
  readonly context: BrowserContext
  readonly page: Page
  /** Every URL the page requested. */
  readonly requested: string[]
  /** Page errors and console errors. */
  readonly problems: string[]
  /** A screenshot as a test artifact, named `${name}.png`: the viewport, the full page, or one element. */
  shoot(name: string, what?: boolean | Locator): Promise<void>
  /** Signs in through the sign-in screen and waits for the Apps screen. */
  signIn(email: string, password?: string): Promise<void>
  close(): Promise<void>
}

/** Chromium with a fresh profile, pointed at a real server that serves the built dashboard. */
export async function openDashboardBrowser(server: TestServer, options: { screenshots: boolean }): Promise<DashboardBrowser> {
  if (!existsSync(join(StaticSite.DEFAULT_FOLDER, 'index.html'))) throw new Error('the dashboard is not built: run npm run build')
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/install-test-packages.sh`)
  const profile = mkdtempSync(join(tmpdir(), 'verity-chromium-'))
  // A persistent context is how Playwright takes a fresh --user-data-dir of our own.
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1200, height: 900 } })
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(10_000)
  const requested: string[] = []
  const problems: string[] = []
  page.on('request', (req) => requested.push(req.url()))
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`)
  })
  return {
    context,
    page,
    requested,
    problems,
    async shoot(name, what = false) {
      if (!options.screenshots) return
      const path = join(SCREENSHOTS, `${name}.png`)
      if (typeof what === 'boolean') await page.screenshot({ path, fullPage: what })
      else await what.screenshot({ path })
    },
    async signIn(email, password = GOOD_PASSWORD) {
      await page.goto(`${server.url}/`)
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor()
    },
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
