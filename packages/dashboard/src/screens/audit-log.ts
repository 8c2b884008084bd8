import { api, type App } from '../api.js'
import { alertBox, field, h } from '../dom.js'
import { errorText } from '../error-text.js'
import { peopleTable, when } from '../people-table.js'

interface AuditEvent {
  id: string
  at: string
  actor: string
  action: string
  app_id: string | null
  platform: string | null
  target: string | null
  details: Record<string, unknown> | null
  client: string | null
}

const HEADERS = ['When', 'Who', 'What', 'App', 'Change'] as const

/**
 * Who changed which setting or secret, when, from which address: newest first, filtered by actor,
 * app, action and day, with the same filter as a CSV download. The server never records a secret
 * value, so nothing here can show one.
 */
export async function renderAuditLog(main: HTMLElement): Promise<void> {
  const params = new URLSearchParams(location.search)
  const actor = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '300', value: params.get('actor') ?? undefined, placeholder: 'teammate:ana@example.com' })
  const app = h('select', {}, h('option', { value: '' }, 'All apps'))
  const action = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '100', value: params.get('action') ?? undefined, placeholder: 'platform.enforced' })
  const since = h('input', { type: 'date', value: params.get('since')?.slice(0, 10) ?? undefined })
  const download = h('a', { href: '/admin/v1/audit-log?format=csv', download: 'verity-audit-log.csv', class: 'button-link' }, 'Download CSV')
  const results = h('div', { 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Loading the audit log…'))
  const more = h('div')

  const filter = (): URLSearchParams => {
    const q = new URLSearchParams()
    if (actor.value.trim() !== '') q.set('actor', actor.value.trim())
    if (app.value !== '') q.set('app_id', app.value)
    if (action.value.trim() !== '') q.set('action', action.value.trim())
    // A day, from its first second in UTC: the server compares RFC 3339 instants.
    if (since.value !== '') q.set('since', `${since.value}T00:00:00Z`)
    return q
  }
  const load = async (): Promise<void> => {
    const q = filter()
    history.replaceState(null, '', q.size > 0 ? `/audit-log?${q}` : '/audit-log')
    const csv = new URLSearchParams(q)
    csv.set('format', 'csv')
    download.setAttribute('href', `/admin/v1/audit-log?${csv}`)
    results.replaceChildren(h('p', { class: 'hint' }, 'Loading the audit log…'))
    more.replaceChildren()
    await loadPage(q, null, results, more, q.size > 0, names)
  }

  main.replaceChildren(
    h('h1', {}, 'Audit log'),
    h('p', { class: 'hint' }, 'Who changed which setting, secret or teammate, when, and from which address. Secret values are never recorded.'),
    h('form', {
      class: 'panel filters',
      'aria-label': 'Filter the audit log',
      onsubmit: (event: Event) => {
        event.preventDefault()
        void load()
      },
    },
    field('Actor', actor, 'Exactly as listed, such as teammate:ana@example.com or cli.'),
    field('App', app),
    field('Action', action, 'Such as platform.enforced or teammate.role_changed.'),
    field('Since', since, 'From the start of this day (UTC).'),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Filter'),
      h('button', {
        type: 'button',
        onclick: () => {
          actor.value = ''
          app.value = ''
          action.value = ''
          since.value = ''
          void load()
        },
      }, 'Clear filters'),
      download)),
    results,
    more,
  )
  const names = await fillApps(app, params.get('app_id'))
  await load()
}

/** Fills the App filter; answers each app's name by id, for the table. */
async function fillApps(select: HTMLSelectElement, chosen: string | null): Promise<ReadonlyMap<string, string>> {
  const names = new Map<string, string>()
  try {
    const { apps } = await api<{ apps: App[] }>('GET', '/admin/v1/apps?limit=100')
    select.append(...apps.map((a) => h('option', { value: a.id }, `${a.name} (${a.environment})`)))
    for (const a of apps) names.set(a.id, a.name)
  } catch {
    // The filter still works without names: the log itself says what went wrong, if anything.
  }
  if (chosen !== null) {
    if (![...select.options].some((o) => o.value === chosen)) select.append(h('option', { value: chosen }, chosen))
    select.value = chosen
  }
  return names
}

async function loadPage(q: URLSearchParams, cursor: string | null, results: HTMLElement, more: HTMLElement, filtered: boolean, names: ReadonlyMap<string, string>): Promise<void> {
  const page = new URLSearchParams(q)
  page.set('limit', '50')
  if (cursor !== null) page.set('cursor', cursor)
  try {
    const res = await api<{ events: AuditEvent[]; next_cursor: string | null }>('GET', `/admin/v1/audit-log?${page}`)
    const rows = res.events.map((e) => [when(e.at), who(e), what(e), appOf(e, names), change(e.details)])
    const empty = filtered ? 'No event matches these filters. Clear them or choose an earlier day.' : 'No event yet: creating an app, enforcing a platform or inviting a teammate is recorded here.'
    if (cursor === null) results.replaceChildren(peopleTable('Audit events, newest first', HEADERS, rows, empty))
    else results.querySelector('tbody')?.append(...peopleTable('', HEADERS, rows, '').querySelectorAll('tbody tr'))
    more.replaceChildren(res.next_cursor === null ? '' : h('button', {
      type: 'button',
      onclick: () => void loadPage(q, res.next_cursor, results, more, filtered, names),
    }, 'Show older events'))
  } catch (error) {
    results.replaceChildren(alertBox(errorText(error)))
  }
}

/** The app by name (its id in the title: a deleted app keeps only its id), and the platform. */
function appOf(e: AuditEvent, names: ReadonlyMap<string, string>): Node | string {
  if (e.app_id === null) return '—'
  const name = names.get(e.app_id)
  return h('span', { title: e.app_id }, name ?? e.app_id, e.platform === null ? null : ` (${e.platform})`)
}

function who(e: AuditEvent): Node {
  return h('span', {}, e.actor, e.client === null ? null : h('span', { class: 'hint' }, ` from ${e.client}`))
}

function what(e: AuditEvent): Node {
  return h('span', {}, h('span', { class: 'mono' }, e.action), e.target === null ? null : h('span', { class: 'hint' }, ` ${e.target}`))
}

/** Before and after as "role: admin → owner"; other details as they are, one per line. */
function change(details: Record<string, unknown> | null): Node | string {
  if (details === null) return '—'
  const { before, after, ...rest } = details as { before?: Record<string, unknown>; after?: Record<string, unknown> } & Record<string, unknown>
  const items: Node[] = []
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])
  for (const key of keys) {
    const from = before && key in before ? text(before[key]) : '—'
    const to = after && key in after ? text(after[key]) : before && after === undefined ? '(removed)' : '—'
    items.push(h('dt', {}, `${key}: `), h('dd', {}, `${from} → ${to}`))
  }
  for (const [key, value] of Object.entries(rest)) items.push(h('dt', {}, `${key}: `), h('dd', {}, text(value)))
  return h('div', { class: 'change' }, h('dl', {}, items))
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}
