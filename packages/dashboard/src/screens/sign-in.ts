import { api, ApiError, type Teammate } from '../api.js'
import { alertBox, field, h } from '../dom.js'

/** Email and password; the authentication code field appears when the server asks for it. */
export function renderSignIn(onSignedIn: (teammate: Teammate, csrf: string) => void, knownEmail = '', notice = ''): HTMLElement {
  const email = h('input', { type: 'email', autocomplete: 'username', required: true, value: knownEmail || undefined })
  const password = h('input', { type: 'password', autocomplete: 'current-password', required: true })
  const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '32' })
  const codeField = field('Authentication code', code, 'The 6-digit code from your authenticator app, or a recovery code.')
  codeField.hidden = true
  const status = h('div', {}, notice ? h('p', { role: 'status' }, notice) : null)
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in')
  const form = h('form', {
    onsubmit: (event: Event) => {
      event.preventDefault()
      status.replaceChildren()
      button.disabled = true
      const body = { email: email.value, password: password.value, ...(!codeField.hidden && code.value !== '' && { totp: code.value }) }
      api<{ teammate: Teammate; csrf_token: string }>('POST', '/admin/v1/session', body)
        .then((res) => onSignedIn(res.teammate, res.csrf_token))
        .catch((error: unknown) => {
          button.disabled = false
          if (error instanceof ApiError && error.code === 'totp_required') {
            codeField.hidden = false
            status.replaceChildren(h('p', { role: 'status' }, 'Enter the authentication code from your authenticator app.'))
            code.focus()
            return
          }
          status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
        })
    },
  }, field('Email', email), field('Password', password), codeField, status, button)
  return h('main', { class: 'sign-in' }, h('h1', {}, 'Sign in to Verity'), form)
}
