import { api, ApiError, PLATFORM_LABELS, type App, type PlatformName, type Secret } from '../api.js'
import { withConfirmation } from '../confirmation.js'
import { copyButton } from '../copy-button.js'
import { openDialog } from '../dialog.js'
import { alertBox, field, h } from '../dom.js'
import { usersText, whenText, type RolloutWithSecrets } from '../platform-types.js'

const WEEK_MS = 7 * 86_400_000
const describe = (error: unknown): string => (error instanceof ApiError ? error.describe() : String(error))

interface SecretRow { id: string; created_at: string; last_used_at: string | null; users: number }

/**
 * A platform's active secrets: when each was made and last used and how many users it verified this
 * week, with "Reveal", "Copy", "Rotate" and "Revoke". Values are fetched only when asked for (the
 * server audits each read and wants a recent password confirmation).
 */
export function secretsPanel(appId: string, platform: PlatformName): HTMLElement {
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading secrets…'))
  const status = h('div')
  const label = PLATFORM_LABELS[platform]
  const panel = h('div', { class: 'tool' }, body, status)
  const base = `/admin/v1/apps/${encodeURIComponent(appId)}/platforms/${platform}`
  const revealed = new Map<string, string>()

  const reveal = async (): Promise<boolean> => {
    const res = await withConfirmation(() => api<{ secrets: Secret[] }>('GET', `${base}/secrets`))
    if (res === null) return false
    for (const s of res.secrets) revealed.set(s.id, s.value)
    return true
  }

  const load = async (): Promise<void> => {
    try {
      const [{ app }, rollout] = await Promise.all([
        api<{ app: App }>('GET', `/admin/v1/apps/${encodeURIComponent(appId)}`),
        api<RolloutWithSecrets>('GET', `${base}/rollout?days=7`),
      ])
      const users = new Map(rollout.secrets.map((s) => [s.id, s.users]))
      const rows: SecretRow[] = app.platforms[platform].secrets.map((s) => ({ ...s, users: users.get(s.id) ?? 0 }))
      body.replaceChildren(
        h('ul', { class: 'secret-list' }, rows.map((row) => secretItem(row))),
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => void rotate() }, 'Rotate')),
        h('p', { class: 'hint' }, `Rotate adds a secret; the old one keeps working until you revoke it, so deploy the new one to your servers first.`),
      )
    } catch (error) {
      body.replaceChildren(alertBox(describe(error)))
    }
  }

  const secretItem = (row: SecretRow): HTMLElement => {
    const valueSlot = h('div')
    const showValue = (): void => {
      const value = revealed.get(row.id)
      if (value === undefined) return
      valueSlot.replaceChildren(field(`Secret ${row.id}`, h('input', { type: 'text', readonly: true, value, class: 'mono', spellcheck: 'false' })))
    }
    showValue()
    const itemStatus = h('div')
    const run = (what: () => Promise<void>): void => {
      itemStatus.replaceChildren()
      what().catch((error: unknown) => itemStatus.replaceChildren(alertBox(describe(error))))
    }
    // Before a reveal there is no value to copy: fetch it (with the confirmation) first.
    const copy = copyButton(async () => {
      if (!revealed.has(row.id) && !(await reveal())) return null
      showValue()
      return revealed.get(row.id) ?? null
    }, `${label} secret`)
    return h('li', { class: 'secret-item', role: 'group', 'aria-label': `Secret ${row.id}` },
      h('p', { class: 'mono secret-id' }, row.id),
      h('dl', { class: 'facts' },
        fact('Created', whenText(row.created_at)),
        fact('Last used', whenText(row.last_used_at)),
        fact('Users this week', String(row.users))),
      valueSlot,
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => run(async () => { if (await reveal()) showValue() }) }, 'Reveal'),
        copy,
        h('button', { type: 'button', class: 'danger-outline', onclick: () => revokeDialog(row) }, 'Revoke')),
      itemStatus)
  }

  const rotate = async (): Promise<void> => {
    status.replaceChildren()
    try {
      const res = await withConfirmation(() => api<{ secret: Secret }>('POST', `${base}/secrets`))
      if (res === null) return
      revealed.set(res.secret.id, res.secret.value)
      await load()
      status.replaceChildren(h('p', { role: 'status' }, `New ${label} secret ${res.secret.id} added. Deploy it to your servers, then revoke the old one.`))
    } catch (error) {
      status.replaceChildren(alertBox(describe(error)))
    }
  }

  const revokeDialog = (row: SecretRow): void => {
    const recent = row.last_used_at !== null && Date.now() - Date.parse(row.last_used_at) < WEEK_MS
    const problem = h('div')
    openDialog(`Revoke secret ${row.id}?`, (close) => [
      h('p', {}, recent
        ? `This secret verified ${usersText(row.users)} in the last 7 days (last used ${whenText(row.last_used_at)}). Once it is revoked, their proofs stop verifying and the sessions it verified end, until your servers use another ${label} secret.`
        : 'This secret has not verified anyone in the last 7 days.'),
      h('p', {}, 'A revoked secret never works again.'),
      problem,
      h('div', { class: 'actions' },
        h('button', {
          type: 'button',
          class: 'danger',
          onclick: () => {
            problem.replaceChildren()
            withConfirmation(() => api('DELETE', `${base}/secrets/${encodeURIComponent(row.id)}`))
              .then(async (done) => {
                if (done === null) return
                close()
                revealed.delete(row.id)
                await load()
                status.replaceChildren(h('p', { role: 'status' }, `Secret ${row.id} is revoked.`))
              })
              .catch((error: unknown) => problem.replaceChildren(alertBox(describe(error))))
          },
        }, 'Revoke secret'),
        h('button', { type: 'button', onclick: () => close() }, 'Cancel')),
    ])
  }

  void load()
  return panel
}

function fact(term: string, value: string): HTMLElement {
  return h('div', {}, h('dt', {}, term), h('dd', {}, value))
}
