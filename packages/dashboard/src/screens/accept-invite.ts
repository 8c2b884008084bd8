import { api, ApiError } from '../api.js'
import { alertBox, field, h } from '../dom.js'

/**
 * The invite link (`/#invite=…`, printed by `verity teammates add` or the teammates API): the new
 * teammate chooses a password, then signs in. The token stays in the fragment, which browsers
 * never send to a server or in a Referer.
 */
export function renderAcceptInvite(token: string, onAccepted: (email: string) => void): HTMLElement {
  const name = h('input', { type: 'text', autocomplete: 'name', maxlength: '100' })
  const password = h('input', { type: 'password', autocomplete: 'new-password', required: true })
  const status = h('div')
  const button = h('button', { type: 'submit', class: 'primary' }, 'Set password')
  const form = h('form', {
    onsubmit: (event: Event) => {
      event.preventDefault()
      status.replaceChildren()
      button.disabled = true
      api<{ teammate: { email: string } }>('POST', '/admin/v1/invites/accept', { token, password: password.value, ...(name.value.trim() !== '' && { name: name.value.trim() }) })
        .then((res) => onAccepted(res.teammate.email))
        .catch((error: unknown) => {
          button.disabled = false
          const text = error instanceof ApiError && error.code === 'invite_expired'
            ? `This invitation has expired or was already used; ask an owner for a new one. (${error.code})`
            : error instanceof ApiError ? error.describe() : String(error)
          status.replaceChildren(alertBox(text))
        })
    },
  },
  field('Name', name, 'Optional: how teammates see you.'),
  field('Password', password, 'At least 12 characters, not a common password.'),
  status,
  button)
  return h('main', { class: 'sign-in' }, h('h1', {}, 'Accept your invitation'), form)
}
