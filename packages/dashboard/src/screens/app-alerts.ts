import { api, ApiError, PLATFORM_LABELS, type App, type PlatformName, type Secret } from '../api.js'
import { copyButton } from '../copy-button.js'
import { withConfirmation } from '../confirmation.js'
import { openDialog } from '../dialog.js'
import { alertBox, field, h, uid } from '../dom.js'
import { onLiveEvent, whileShown } from '../live-events.js'
import { link } from '../router.js'
import { utcTime } from './failures.js'

interface Alert {
  id: string
  type: 'verification.failure_spike' | 'secret.exposed'
  app_id: string
  platform: PlatformName
  created_at: string
  details: Record<string, unknown>
  advice: string
}
interface Count { diagnosis?: string; app_version?: string; count: number }

/**
 * Beside an app's platforms: a link to its failures, and its alerts (failure spikes with their top
 * diagnoses and app versions, exposed secrets with a one-step "Rotate and revoke"), new ones
 * appearing without a reload.
 */
export async function renderAppAlerts(main: HTMLElement, appId: string): Promise<void> {
  const heading = main.querySelector('h1')
  if (heading === null) return
  const base = `/admin/v1/apps/${encodeURIComponent(appId)}`
  const list = h('div', { class: 'alert-list' })
  const section = h('section', { class: 'panel alerts', 'aria-label': 'Alerts', hidden: true }, h('h2', {}, 'Alerts'), list)
  const news = h('p', { role: 'status', class: 'hint' })
  heading.after(h('p', {}, link(`/apps/${encodeURIComponent(appId)}/failures`, 'Failures'), ': every failed proof with its diagnosis, live.'), news, section)

  let app: App | null = null
  const active = async (): Promise<App | null> => (app ??= await api<{ app: App }>('GET', base).then((r) => r.app, () => null))
  const add = async (alert: Alert, where: 'top' | 'bottom'): Promise<void> => {
    const card = alertCard(alert, await active(), base, () => {
      app = null
    })
    if (where === 'top') list.prepend(card)
    else list.append(card)
    section.hidden = false
  }
  whileShown(main, [
    onLiveEvent<{ alert: Alert }>('alert', ({ alert }) => {
      if (alert.app_id !== appId) return
      news.replaceChildren(`New alert: ${titleOf(alert)}.`)
      void add(alert, 'top')
    }),
  ])
  try {
    const { alerts } = await api<{ alerts: Alert[] }>('GET', '/admin/v1/alerts?limit=100')
    for (const alert of alerts.filter((a) => a.app_id === appId)) await add(alert, 'bottom')
  } catch (error) {
    section.hidden = false
    list.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
  }
}

function titleOf(alert: Alert): string {
  const platform = PLATFORM_LABELS[alert.platform] ?? alert.platform
  return alert.type === 'secret.exposed' ? `Exposed secret on ${platform}` : `Failure spike on ${platform}`
}

function counts(label: string, items: unknown, key: 'diagnosis' | 'app_version'): HTMLElement | null {
  if (!Array.isArray(items) || items.length === 0) return null
  return h('div', {}, h('h4', {}, label), h('ul', {}, (items as Count[]).map((c) => h('li', {}, h('span', { class: 'mono' }, String(c[key] ?? '(none)')), `: ${c.count}`))))
}

function alertCard(alert: Alert, app: App | null, base: string, forget: () => void): HTMLElement {
  const headingId = uid('alert')
  const d = alert.details
  const status = h('div')
  const what = alert.type === 'verification.failure_spike'
    ? [
        h('p', {}, `${String(d.invalid)} invalid proofs of ${String(d.attempts)} attempts within ${String(d.window_minutes)} minutes.`),
        h('div', { class: 'spike' }, counts('Top diagnoses', d.top_diagnoses, 'diagnosis'), counts('Top app versions', d.top_app_versions, 'app_version')),
      ]
    : [
        h('p', {}, d.reason === 'secret_sent_by_client'
          ? `Secret ${String(d.secret_id)} was sent by a client (in ${Array.isArray(d.fields) ? d.fields.join(', ') : 'a field'}): it ships inside an app.`
          : `One ${d.source === 'device' ? 'device' : 'client address'} proved more than ${String(d.users_over)} users within ${String(d.window_minutes)} minutes: a secret is probably used client-side.`),
        rotateControl(alert, app, base, status, forget),
      ]
  return h('article', { class: 'alert-card', 'aria-labelledby': headingId },
    h('h3', { id: headingId }, titleOf(alert)),
    h('p', { class: 'hint' }, utcTime(alert.created_at)),
    ...what,
    h('p', {}, alert.advice),
    status)
}

/** The secrets to revoke: the one a client sent, or for leaked proofs every secret that signed until now. */
function exposedSecrets(alert: Alert, app: App | null): string[] {
  const platform = app?.platforms[alert.platform]
  if (!platform) return []
  const active = platform.secrets.map((s) => s.id)
  return typeof alert.details.secret_id === 'string' ? active.filter((id) => id === alert.details.secret_id) : active
}

function rotateControl(alert: Alert, app: App | null, base: string, status: HTMLElement, forget: () => void): HTMLElement {
  const exposed = exposedSecrets(alert, app)
  if (app === null) return h('p', { class: 'hint' }, 'The app could not be read, so its secrets cannot be rotated from here.')
  if (exposed.length === 0) return h('p', { class: 'hint' }, 'The exposed secret is revoked already.')
  const label = PLATFORM_LABELS[alert.platform]
  const button = h('button', { type: 'button', class: 'danger' }, 'Rotate and revoke')
  button.addEventListener('click', () => {
    openDialog('Rotate and revoke?', (close) => [
      h('p', {}, `A new ${label} secret is made and shown once. Then ${exposed.length === 1 ? `secret ${exposed[0]!} is` : `secrets ${exposed.join(', ')} are`} revoked: the sessions it verified end, and an app still signing with it fails until it uses the new secret on your server.`),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => {
          close()
          void rotateAndRevoke(base, alert.platform, exposed, status).then((done) => {
            if (!done) return
            forget()
            button.replaceWith(h('p', { class: 'hint' }, 'Rotated and revoked.'))
          })
        } }, 'Rotate and revoke'),
        h('button', { type: 'button', onclick: () => close() }, 'Cancel')),
    ])
  })
  return h('div', { class: 'actions' }, button)
}

/**
 * One server call rotates and revokes the exposed secret together (both or neither); for leaked
 * proofs, any other earlier secret of the platform is revoked after it.
 */
async function rotateAndRevoke(base: string, platform: PlatformName, exposed: string[], status: HTMLElement): Promise<boolean> {
  status.replaceChildren()
  const label = PLATFORM_LABELS[platform]
  const [first, ...rest] = exposed
  try {
    const rotated = await withConfirmation(() => api<{ secret: Secret }>('POST', `${base}/platforms/${platform}/secrets/${encodeURIComponent(first!)}/rotate-and-revoke`))
    if (rotated === null) return false
    const input = h('input', { type: 'text', readonly: true, value: rotated.secret.value, class: 'mono', spellcheck: 'false' })
    status.replaceChildren(h('div', { class: 'secret-row', role: 'group', 'aria-label': `New ${label} secret` },
      field(`New ${label} secret`, input, 'Put it on your server (an environment variable), never in an app.'),
      copyButton(() => input.value, `New ${label} secret`)))
    for (const id of rest) {
      await withConfirmation(() => api('DELETE', `${base}/platforms/${platform}/secrets/${encodeURIComponent(id)}`))
    }
    status.append(h('p', { role: 'status' }, `Revoked ${exposed.join(', ')}.`))
    return true
  } catch (error) {
    status.append(alertBox(error instanceof ApiError ? error.describe() : String(error)))
    return false
  }
}
