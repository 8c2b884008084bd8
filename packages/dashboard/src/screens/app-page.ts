import { api, ApiError, PLATFORM_LABELS, PLATFORMS, type App, type PlatformName, type Rollout } from '../api.js'
import { alertBox, field, h, uid } from '../dom.js'
import { openDialog } from '../dialog.js'
import { withConfirmation } from '../confirmation.js'
import { link } from '../router.js'
import { dailySection } from './daily-section.js'
import { platformTools } from './platform-tools.js'

/** One app: a region per platform with its state, 7-day counts, versions table and enforcement. */
export async function renderAppPage(main: HTMLElement, appId: string): Promise<void> {
  main.replaceChildren(h('h1', {}, 'App'), h('p', { class: 'hint' }, 'Loading…'))
  let app: App
  try {
    app = (await api<{ app: App }>('GET', `/admin/v1/apps/${encodeURIComponent(appId)}`)).app
  } catch (error) {
    main.replaceChildren(h('h1', {}, 'App'), alertBox(error instanceof ApiError ? error.describe() : String(error)), h('p', {}, link('/apps', 'Back to apps')))
    return
  }
  const regions = PLATFORMS.map((platform) => h('section', { class: 'panel platform', role: 'region', 'aria-label': PLATFORM_LABELS[platform] }))
  main.replaceChildren(
    h('p', { class: 'crumbs' }, link('/apps', 'Apps')),
    h('h1', {}, app.name, ' ', h('span', { class: 'tag' }, app.environment)),
    h('p', { class: 'hint' }, 'Each platform starts in monitoring: users are let in and counted. Enforce a platform once the users who would be refused are few enough.'),
    h('div', { class: 'platforms' }, regions),
  )
  await Promise.all(PLATFORMS.map((platform, i) => drawPlatform(regions[i]!, app.id, platform, app.platforms[platform].enforced)))
}

async function drawPlatform(region: HTMLElement, appId: string, platform: PlatformName, enforced: boolean): Promise<void> {
  const label = PLATFORM_LABELS[platform]
  const redraw = (nowEnforced: boolean): void => void drawPlatform(region, appId, platform, nowEnforced)
  let rollout: Rollout | null = null
  let problem: HTMLElement | null = null
  try {
    rollout = await api<Rollout>('GET', `/admin/v1/apps/${encodeURIComponent(appId)}/platforms/${platform}/rollout?days=7`)
  } catch (error) {
    problem = alertBox(error instanceof ApiError ? error.describe() : String(error))
  }
  const status = h('div')
  const action = enforced
    ? h('button', { type: 'button', onclick: () => setEnforced(appId, platform, false, status, redraw) }, 'Stop enforcing')
    : h('button', { type: 'button', class: 'primary', onclick: () => openEnforce(appId, platform, status, redraw) }, 'Enforce')
  region.replaceChildren(...present(
    h('div', { class: 'title-row' },
      h('h2', {}, label),
      h('span', { class: enforced ? 'state enforced' : 'state monitoring' }, enforced ? 'Enforced' : 'Monitoring')),
    problem,
    rollout ? totals(rollout) : null,
    rollout ? versionsTable(rollout, label) : null,
    dailySection(appId, platform),
    h('div', { class: 'actions' }, action),
    status,
    platformTools(appId, platform, rollout?.totals.users === 0),
  ))
}

function present(...nodes: (HTMLElement | null)[]): HTMLElement[] {
  return nodes.filter((n): n is HTMLElement => n !== null)
}

function totals(rollout: Rollout): HTMLElement {
  const t = rollout.totals
  return h('dl', { class: 'totals', 'aria-label': `Users over ${rollout.window_days} days` },
    ['verified', 'missing', 'invalid'].map((k) => h('div', {},
      h('dt', {}, k[0]!.toUpperCase() + k.slice(1)),
      h('dd', {}, String(t[k as 'verified' | 'missing' | 'invalid'])))),
    h('p', { class: 'hint' }, `${t.users} ${t.users === 1 ? 'user' : 'users'} over ${rollout.window_days} days.`))
}

function versionsTable(rollout: Rollout, label: string): HTMLElement {
  const rows = rollout.versions.length === 0
    ? [h('tr', {}, h('td', { colspan: '5' }, 'No users seen in the last 7 days. Send a signed-in user through the messenger to see them here.'))]
    : rollout.versions.map((v) => h('tr', {},
      h('th', { scope: 'row' }, v.app_version ?? '(no version)'),
      [v.users, v.verified, v.missing, v.invalid].map((n) => h('td', {}, String(n)))))
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', {}, `${label}: users by app version, last ${rollout.window_days} days`),
      h('thead', {}, h('tr', {}, ['App version', 'Users', 'Verified', 'Missing', 'Invalid'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows)))
}

/** The forecast is fetched again when the dialog opens, so it speaks of the traffic seen until now. */
function openEnforce(appId: string, platform: PlatformName, status: HTMLElement, redraw: (enforced: boolean) => void): void {
  api<Rollout>('GET', `/admin/v1/apps/${encodeURIComponent(appId)}/platforms/${platform}/rollout?days=7`)
    .then((rollout) => enforceDialog(appId, platform, rollout, status, redraw), () => enforceDialog(appId, platform, null, status, redraw))
}

/** What enforcement would refuse, in words, from the rollout's forecast of the last 7 days. */
export function forecastText(rollout: Rollout | null): string {
  if (rollout === null) return 'The forecast could not be loaded; who would be refused is unknown.'
  const { would_be_refused: n, app_versions: versions } = rollout.forecast
  if (n === 0) return 'No user seen in the last 7 days would be refused.'
  const names = versions.map((v) => v ?? '(no version)').join(', ')
  return `${n} ${n === 1 ? 'user' : 'users'} seen in the last 7 days would be refused, on app ${versions.length === 1 ? 'version' : 'versions'} ${names}.`
}

function enforceDialog(appId: string, platform: PlatformName, rollout: Rollout | null, status: HTMLElement, redraw: (enforced: boolean) => void): void {
  const label = PLATFORM_LABELS[platform]
  const typed = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', required: true })
  const problem = h('div')
  const forecastId = uid('forecast')
  const dialog = openDialog(`Enforce ${label}?`, (close) => [
    h('p', { id: forecastId }, forecastText(rollout)),
    h('p', {}, `Once enforced, a signed-in ${label} user without a valid user hash or identity token is refused.`),
    h('form', {
      onsubmit: (event: Event) => {
        event.preventDefault()
        if (typed.value.trim().toLowerCase() !== platform) {
          problem.replaceChildren(alertBox(`Type ${label} to confirm. Nothing was changed.`))
          typed.focus()
          return
        }
        close()
        setEnforced(appId, platform, true, status, redraw)
      },
    },
    field('Type the platform name to confirm', typed, `Type ${label}.`),
    problem,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'danger' }, `Enforce ${label}`),
      h('button', { type: 'button', onclick: () => close() }, 'Cancel'))),
  ])
  dialog.setAttribute('aria-describedby', forecastId)
  typed.focus()
}

function setEnforced(appId: string, platform: PlatformName, enforced: boolean, status: HTMLElement, redraw: (enforced: boolean) => void): void {
  status.replaceChildren()
  withConfirmation(() => api<{ platform: { enforced: boolean } }>('PATCH', `/admin/v1/apps/${encodeURIComponent(appId)}/platforms/${platform}`, { enforced }))
    .then((res) => {
      if (res !== null) redraw(res.platform.enforced)
    })
    .catch((error: unknown) => status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error))))
}
