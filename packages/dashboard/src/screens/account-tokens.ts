import { api } from '../api.js'
import { copyButton } from '../copy-button.js'
import { alertBox, field, h } from '../dom.js'
import { withConfirmation } from '../confirmation.js'
import { errorText } from '../error-text.js'
import { peopleTable, when } from '../people-table.js'
import { ROLES } from './teammates.js'
import type { Me } from './account.js'

interface ApiToken { id: string; name: string; role: string; created_at: string; expires_at: string | null; last_used_at: string | null }

/**
 * Personal API tokens: `Authorization: Bearer vpt_…` on the admin API, for scripts. The value is
 * shown once, when it is made; the server keeps only its hash.
 */
export function apiTokensPanel(me: Me): HTMLElement {
  const list = h('div', {}, h('p', { class: 'hint' }, 'Loading API tokens…'))
  const created = h('div')
  const status = h('div', { 'aria-live': 'polite' })
  const reload = (): Promise<void> => loadTokens(list, status)
  const name = h('input', { type: 'text', required: true, maxlength: '100', autocomplete: 'off' })
  // A token never acts above its owner's role.
  const allowed = ROLES.slice(ROLES.indexOf(me.role as (typeof ROLES)[number]))
  const role = h('select', {}, allowed.map((r) => h('option', { value: r }, r)))
  const days = h('input', { type: 'number', min: '1', max: '3650', step: '1', value: '90', inputmode: 'numeric' })
  const problem = h('div')
  const form = h('form', {
    onsubmit: (event: Event) => {
      event.preventDefault()
      problem.replaceChildren()
      const body = { name: name.value.trim(), role: role.value, ...(days.value !== '' && { expires_in_days: Number(days.value) }) }
      withConfirmation(() => api<{ token: ApiToken & { value: string } }>('POST', '/admin/v1/me/tokens', body))
        .then(async (res) => {
          if (res === null) return
          name.value = ''
          showValue(created, res.token)
          await reload()
        })
        .catch((error: unknown) => problem.replaceChildren(alertBox(errorText(error))))
    },
  },
  field('Token name', name, 'What the token is for, such as "deploy script".'),
  field('Token role', role, 'At most your own role.'),
  field('Expires in days', days, 'Empty: never expires.'),
  problem,
  h('button', { type: 'submit', class: 'primary' }, 'Create token'))
  void reload()
  return h('section', { class: 'panel', 'aria-labelledby': 'tokens-title' },
    h('h2', { id: 'tokens-title' }, 'API tokens'),
    h('p', { class: 'hint' }, 'For scripts calling the admin API: send the token as Authorization: Bearer. It acts with its role, never above yours.'),
    created,
    status,
    list,
    h('h3', {}, 'New token'),
    form)
}

async function loadTokens(list: HTMLElement, status: HTMLElement): Promise<void> {
  try {
    const { tokens } = await api<{ tokens: ApiToken[] }>('GET', '/admin/v1/me/tokens')
    const rows = tokens.map((t) => [t.name, t.role, when(t.created_at), when(t.expires_at), when(t.last_used_at), h('button', {
      type: 'button',
      class: 'danger',
      'aria-label': `Revoke ${t.name}`,
      onclick: () => {
        status.replaceChildren()
        withConfirmation(() => api('DELETE', `/admin/v1/me/tokens/${encodeURIComponent(t.id)}`))
          .then(async (res) => {
            if (res === null) return
            await loadTokens(list, status)
            status.replaceChildren(h('p', { role: 'status' }, `${t.name} is revoked: it no longer works.`))
          })
          .catch((error: unknown) => status.replaceChildren(alertBox(errorText(error))))
      },
    }, 'Revoke')])
    list.replaceChildren(peopleTable('Your API tokens', ['Name', 'Role', 'Created', 'Expires', 'Last used', 'Revoke'], rows, 'No API token yet. Create one below for a script that calls the admin API.'))
  } catch (error) {
    list.replaceChildren(alertBox(errorText(error)))
  }
}

function showValue(created: HTMLElement, token: ApiToken & { value: string }): void {
  const input = h('input', { type: 'text', readonly: true, value: token.value, class: 'mono', spellcheck: 'false' })
  created.replaceChildren(h('div', { class: 'panel', role: 'group', 'aria-label': 'New token value' },
    h('p', { role: 'status' }, `Token "${token.name}" is created. Copy its value now: it is shown only this once.`),
    h('div', { class: 'value-row' }, field('Token value', input), copyButton(() => input.value, 'Token value'))))
  input.focus()
  input.select()
}
