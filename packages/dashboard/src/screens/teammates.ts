import { api, ApiError } from '../api.js'
import { copyButton } from '../copy-button.js'
import { alertBox, field, h, uid } from '../dom.js'
import { openDialog } from '../dialog.js'
import { withConfirmation } from '../confirmation.js'
import { errorText } from '../error-text.js'
import { peopleTable, when } from '../people-table.js'

interface TeammateRow {
  id: string
  email: string
  name: string | null
  role: string
  totp_enabled: boolean
  created_at: string
  last_sign_in_at: string | null
  active: boolean
}

export const ROLES = ['owner', 'admin', 'agent'] as const
const ROLE_HINT = 'Owner: everything, including teammates. Admin: apps, secrets, enforcement, audit log. Agent: the inbox only.'

/** Teammates and their roles: invite (an invite link to send), change a role, remove. Owners only change. */
export async function renderTeammates(main: HTMLElement, me: { id: string; role: string }): Promise<void> {
  const status = h('div', { 'aria-live': 'polite' })
  const invited = h('div')
  const list = h('div', {}, h('p', { class: 'hint' }, 'Loading teammates…'))
  const refresh = (): Promise<void> => loadTeammates(list, status, me)
  main.replaceChildren(
    h('div', { class: 'title-row' },
      h('h1', {}, 'Teammates'),
      me.role === 'owner' ? h('button', { type: 'button', class: 'primary', onclick: () => inviteDialog(invited, refresh) }, 'Invite teammate') : null),
    h('p', { class: 'hint' }, ROLE_HINT),
    invited,
    status,
    list,
  )
  await refresh()
}

async function loadTeammates(list: HTMLElement, status: HTMLElement, me: { id: string; role: string }): Promise<void> {
  try {
    const { teammates } = await api<{ teammates: TeammateRow[] }>('GET', '/admin/v1/teammates')
    const refresh = (): Promise<void> => loadTeammates(list, status, me)
    const rows = teammates.map((t) => [
      h('span', {}, t.email, t.id === me.id ? h('span', { class: 'hint' }, ' (you)') : null, t.name === null ? null : h('span', { class: 'hint' }, ` ${t.name}`)),
      t.active ? t.role : `${t.role}, invited`,
      t.totp_enabled ? 'On' : 'Off',
      when(t.last_sign_in_at),
      me.role === 'owner' ? rowActions(t, status, refresh) : '—',
    ])
    list.replaceChildren(peopleTable('Teammates, oldest first', ['Email', 'Role', 'Two-factor', 'Last sign-in', 'Change'], rows, 'No teammate yet: choose "Invite teammate".'))
  } catch (error) {
    list.replaceChildren(alertBox(errorText(error)))
  }
}

function rowActions(t: TeammateRow, status: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const role = h('select', { 'aria-label': `Role of ${t.email}` }, ROLES.map((r) => h('option', { value: r, selected: r === t.role }, r)))
  const save = h('button', {
    type: 'button',
    'aria-label': `Change role of ${t.email}`,
    onclick: () => {
      status.replaceChildren()
      withConfirmation(() => api('PATCH', `/admin/v1/teammates/${encodeURIComponent(t.id)}`, { role: role.value }))
        .then(async (res) => {
          if (res === null) return
          await refresh()
          status.replaceChildren(h('p', { role: 'status' }, `${t.email} is now ${role.value}. Their sessions and API tokens have ended.`))
        })
        .catch((error: unknown) => status.replaceChildren(alertBox(teammateError(error))))
    },
  }, 'Change role')
  const remove = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${t.email}`, onclick: () => removeDialog(t, status, refresh) }, 'Remove')
  return h('div', { class: 'row-actions' }, role, save, remove)
}

/** last_owner in words: what to do about it, and the API's code. */
function teammateError(error: unknown): string {
  if (error instanceof ApiError && error.code === 'last_owner') return `Verity needs at least one owner: make another teammate owner first. (${error.code})`
  return errorText(error)
}

function removeDialog(t: TeammateRow, status: HTMLElement, refresh: () => Promise<void>): void {
  const problem = h('div')
  const dialog = openDialog(`Remove ${t.email}?`, (close) => [
    h('p', {}, `${t.email} can no longer sign in; their sessions and API tokens end at once. The audit log keeps what they did.`),
    problem,
    h('div', { class: 'actions' },
      h('button', {
        type: 'button',
        class: 'danger',
        onclick: () => {
          problem.replaceChildren()
          withConfirmation(() => api('DELETE', `/admin/v1/teammates/${encodeURIComponent(t.id)}`))
            .then(async (res) => {
              if (res === null) return
              close()
              await refresh()
              status.replaceChildren(h('p', { role: 'status' }, `${t.email} is removed.`))
            })
            .catch((error: unknown) => problem.replaceChildren(alertBox(teammateError(error))))
        },
      }, 'Remove teammate'),
      h('button', { type: 'button', onclick: () => close() }, 'Cancel')),
  ])
  dialog.querySelector<HTMLButtonElement>('button')?.focus()
}

function inviteDialog(invited: HTMLElement, refresh: () => Promise<void>): void {
  const email = h('input', { type: 'email', required: true, maxlength: '254', autocomplete: 'off' })
  const role = h('select', {}, ROLES.map((r) => h('option', { value: r, selected: r === 'admin' }, r)))
  const problem = h('div')
  openDialog('Invite teammate', (close) => [
    h('form', {
      onsubmit: (event: Event) => {
        event.preventDefault()
        problem.replaceChildren()
        withConfirmation(() => api<{ teammate: TeammateRow; invite_url: string }>('POST', '/admin/v1/teammates', { email: email.value.trim(), role: role.value }))
          .then(async (res) => {
            if (res === null) return
            close()
            showInvite(invited, res.teammate, res.invite_url)
            await refresh()
          })
          .catch((error: unknown) => problem.replaceChildren(alertBox(errorText(error))))
      },
    },
    field('Email', email),
    field('Role', role, ROLE_HINT),
    problem,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Create invite link'),
      h('button', { type: 'button', onclick: () => close() }, 'Cancel'))),
  ])
  email.focus()
}

function showInvite(invited: HTMLElement, teammate: TeammateRow, url: string): void {
  const headingId = uid('invite')
  const input = h('input', { type: 'text', readonly: true, value: url, class: 'mono', spellcheck: 'false' })
  invited.replaceChildren(h('section', { class: 'panel', 'aria-labelledby': headingId },
    h('h2', { id: headingId, tabindex: '-1' }, `Invite link for ${teammate.email}`),
    h('p', {}, 'Send this link to them yourself (Verity sends no email). It works once, for 72 hours; they choose their password there.'),
    h('div', { class: 'value-row' }, field('Invite link', input), copyButton(() => input.value, 'Invite link'))))
  invited.querySelector<HTMLElement>('h2')?.focus()
}
