import { api } from '../api.js'
import { alertBox, field, h } from '../dom.js'
import { errorText } from '../error-text.js'
import { peopleTable, when } from '../people-table.js'
import { twoFactorPanel } from './account-two-factor.js'
import { apiTokensPanel } from './account-tokens.js'

export interface Me { id: string; email: string; role: string; totp_enabled?: boolean }

interface SessionRow { id: string; created_at: string; last_seen_at: string; ip: string; user_agent: string | null; current: boolean }

/** Your own account: password, two-factor sign-in, sessions and personal API tokens. */
export async function renderAccount(main: HTMLElement, me: Me): Promise<void> {
  const sessions = h('section', { class: 'panel', 'aria-labelledby': 'sessions-title' })
  main.replaceChildren(
    h('h1', {}, 'Account'),
    h('p', { class: 'hint' }, `Signed in as ${me.email} (${me.role}).`),
    h('div', { class: 'stack' },
      passwordPanel(() => void loadSessions(sessions)),
      twoFactorPanel(me),
      sessions,
      apiTokensPanel(me)),
  )
  await loadSessions(sessions)
}

function passwordPanel(onChanged: () => void): HTMLElement {
  const current = h('input', { type: 'password', autocomplete: 'current-password', required: true })
  const next = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: '12' })
  const status = h('div')
  return h('section', { class: 'panel', 'aria-labelledby': 'password-title' },
    h('h2', { id: 'password-title' }, 'Password'),
    h('form', {
      onsubmit: (event: Event) => {
        event.preventDefault()
        status.replaceChildren()
        api('POST', '/admin/v1/me/password', { current_password: current.value, new_password: next.value })
          .then(() => {
            current.value = ''
            next.value = ''
            status.replaceChildren(h('p', { role: 'status' }, 'Your password is changed. Every other session of yours has ended.'))
            onChanged()
          })
          .catch((error: unknown) => status.replaceChildren(alertBox(errorText(error))))
      },
    },
    field('Current password', current),
    field('New password', next, 'At least 12 characters, not a common password.'),
    status,
    h('button', { type: 'submit', class: 'primary' }, 'Change password')))
}

async function loadSessions(panel: HTMLElement): Promise<void> {
  const status = h('div', { 'aria-live': 'polite' })
  const reload = (): void => void loadSessions(panel)
  panel.replaceChildren(h('h2', { id: 'sessions-title' }, 'Sessions'), h('p', { class: 'hint' }, 'Loading sessions…'))
  try {
    const { sessions } = await api<{ sessions: SessionRow[] }>('GET', '/admin/v1/me/sessions')
    const rows = sessions.map((s) => [
      when(s.created_at),
      when(s.last_seen_at),
      s.ip,
      h('span', { class: 'hint' }, s.user_agent ?? 'unknown browser'),
      s.current ? 'This session' : h('button', {
        type: 'button',
        onclick: () => {
          api('DELETE', `/admin/v1/me/sessions/${encodeURIComponent(s.id)}`).then(reload, (error: unknown) => status.replaceChildren(alertBox(errorText(error))))
        },
      }, 'Sign out'),
    ])
    const others = sessions.filter((s) => !s.current).length
    panel.replaceChildren(
      h('h2', { id: 'sessions-title' }, 'Sessions'),
      h('p', { class: 'hint' }, 'Where you are signed in. Sign out any session you do not recognise, then change your password.'),
      peopleTable('Your sessions, newest first', ['Started', 'Last seen', 'Address', 'Browser', 'Sign out'], rows, 'No session.'),
      status,
      others === 0 ? h('p', { class: 'hint' }, 'You are signed in nowhere else.') : h('div', { class: 'actions' }, h('button', {
        type: 'button',
        onclick: () => {
          api('DELETE', '/admin/v1/me/sessions').then(reload, (error: unknown) => status.replaceChildren(alertBox(errorText(error))))
        },
      }, 'Sign out all other sessions')),
    )
  } catch (error) {
    panel.replaceChildren(h('h2', { id: 'sessions-title' }, 'Sessions'), alertBox(errorText(error)))
  }
}
