import { DIAGNOSES } from '../../../server/src/diagnosis/diagnosis.js'
import { api, ApiError, PLATFORM_LABELS, PLATFORMS, type App, type PlatformName } from '../api.js'
import { alertBox, field, h } from '../dom.js'
import { onLiveEvent, onLiveReconnect, whileShown } from '../live-events.js'
import { link } from '../router.js'

export interface Failure {
  at: string
  platform: PlatformName
  user_id: string | null
  email: string | null
  app_version: string | null
  refused: boolean
  code: string
  diagnosis: string
}

/** A time as people compare them across machines: UTC, to the second. */
export function utcTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

/**
 * An app's failed proofs, newest first, filtered by platform and diagnosis; new ones are added at
 * the top as they happen (GET /admin/v1/events), without a reload.
 */
export async function renderFailures(main: HTMLElement, appId: string): Promise<void> {
  const base = `/admin/v1/apps/${encodeURIComponent(appId)}`
  const heading = h('h1', {}, 'Failures')
  const crumbs = h('p', { class: 'crumbs' }, link('/apps', 'Apps'))
  const platform = h('select', {}, h('option', { value: '' }, 'All platforms'), PLATFORMS.map((p) => h('option', { value: p }, PLATFORM_LABELS[p])))
  const diagnosis = h('select', {}, h('option', { value: '' }, 'All diagnoses'), DIAGNOSES.map((d) => h('option', { value: d }, d)))
  const body = h('tbody')
  const status = h('div')
  const news = h('p', { role: 'status', class: 'hint' })
  const more = h('button', { type: 'button', hidden: true }, 'Load more')
  let cursor: string | null = null
  let fresh = 0

  const matches = (f: Failure): boolean => (platform.value === '' || f.platform === platform.value) && (diagnosis.value === '' || f.diagnosis === diagnosis.value)
  const empty = (): HTMLElement =>
    h('tr', { class: 'empty' }, h('td', { colspan: '4' }, platform.value === '' && diagnosis.value === ''
      ? 'No failed proofs. Failures appear here as they happen: an invalid user hash or identity token, or a missing one on an enforced platform.'
      : 'No failed proofs match these filters. Choose "All platforms" and "All diagnoses" to see every one.'))

  const load = async (append: boolean): Promise<void> => {
    status.replaceChildren()
    const query = new URLSearchParams({ limit: '50' })
    if (platform.value) query.set('platform', platform.value)
    if (diagnosis.value) query.set('diagnosis', diagnosis.value)
    if (append && cursor) query.set('cursor', cursor)
    try {
      const page = await api<{ failures: Failure[]; next_cursor: string | null }>('GET', `${base}/failures?${query}`)
      const rows = page.failures.map(failureRow)
      if (append) body.append(...rows)
      else body.replaceChildren(...(rows.length > 0 ? rows : [empty()]))
      cursor = page.next_cursor
      more.hidden = cursor === null
    } catch (error) {
      status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
    }
  }
  const reload = (): void => {
    fresh = 0
    news.replaceChildren()
    void load(false)
  }
  platform.addEventListener('change', reload)
  diagnosis.addEventListener('change', reload)
  more.addEventListener('click', () => void load(true))

  main.replaceChildren(
    crumbs,
    heading,
    h('p', { class: 'hint' }, 'Every failed proof with what Verity found. New failures appear at the top as they happen.'),
    h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter failures', onsubmit: (e: Event) => e.preventDefault() },
      field('Platform', platform), field('Diagnosis', diagnosis)),
    news,
    status,
    h('div', { class: 'table-wrap' },
      h('table', {},
        h('caption', {}, 'Failed proofs, newest first'),
        h('thead', {}, h('tr', {}, ['Time', 'User', 'App version', 'Diagnosis'].map((c) => h('th', { scope: 'col' }, c)))),
        body)),
    more,
  )
  whileShown(main, [
    onLiveEvent<{ app_id: string; failure: Failure }>('failure', ({ app_id, failure }) => {
      if (app_id !== appId || !matches(failure)) return
      body.querySelector('tr.empty')?.remove()
      body.prepend(failureRow(failure))
      fresh += 1
      news.replaceChildren(`${fresh} new ${fresh === 1 ? 'failure' : 'failures'} since you opened this page.`)
    }),
    onLiveReconnect(reload),
  ])
  // The app's name, for the heading; the list does not wait for it.
  void api<{ app: App }>('GET', base).then(({ app }) => {
    heading.replaceChildren(`Failures: ${app.name}`)
    crumbs.append(' › ', link(`/apps/${encodeURIComponent(app.id)}`, app.name))
  }, () => undefined)
  await load(false)
}

function failureRow(f: Failure): HTMLElement {
  const who = f.user_id ?? f.email ?? '(no identifier)'
  return h('tr', {},
    h('th', { scope: 'row' }, utcTime(f.at)),
    h('td', {}, who, ' ', h('span', { class: 'tag' }, PLATFORM_LABELS[f.platform])),
    h('td', {}, f.app_version ?? '(none)'),
    h('td', {}, h('span', { class: 'mono' }, f.diagnosis), h('br'), h('span', { class: 'hint' }, f.refused ? 'refused' : 'let in unverified')))
}
