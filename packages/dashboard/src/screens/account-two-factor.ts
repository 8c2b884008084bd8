import { api } from '../api.js'
import { copyButton } from '../copy-button.js'
import { alertBox, field, h } from '../dom.js'
import { errorText } from '../error-text.js'
import { qrCode } from '../qr-code.js'
import type { Me } from './account.js'

/**
 * Two-factor sign-in: a secret drawn as a QR code (and as text, for typing in), confirmed with a
 * code from the app; then the 10 recovery codes, shown this once.
 */
export function twoFactorPanel(me: Me): HTMLElement {
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'totp-title' })
  const title = h('h2', { id: 'totp-title' }, 'Two-factor sign-in')
  const status = h('div')
  if (me.totp_enabled === true) {
    panel.append(title, h('p', {}, 'Two-factor sign-in is on: signing in asks for a code from your authenticator app, or one of your recovery codes.'))
    return panel
  }
  const start = h('button', {
    type: 'button',
    class: 'primary',
    onclick: () => {
      status.replaceChildren()
      api<{ secret: string; otpauth_url: string }>('POST', '/admin/v1/me/totp')
        .then((res) => panel.replaceChildren(title, setUp(me, res.secret, res.otpauth_url)))
        .catch((error: unknown) => status.replaceChildren(alertBox(errorText(error))))
    },
  }, 'Set up two-factor sign-in')
  panel.append(title, h('p', {}, 'Two-factor sign-in is off. With it on, a stolen password alone cannot sign in as you.'), status, start)
  return panel
}

function setUp(me: Me, secret: string, otpauthUrl: string): HTMLElement {
  const code = h('input', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', required: true, pattern: '[0-9]{6}' })
  const secretInput = h('input', { type: 'text', readonly: true, value: secret, class: 'mono', spellcheck: 'false' })
  const status = h('div')
  const box = h('div', {},
    h('p', {}, 'Scan this QR code with your authenticator app, or type the secret into it. Then enter the 6-digit code it shows.'),
    qrCode(otpauthUrl, 'QR code for your authenticator app'),
    h('div', { class: 'value-row' }, field('Secret', secretInput), copyButton(() => secretInput.value, 'Secret')),
    h('form', {
      onsubmit: (event: Event) => {
        event.preventDefault()
        status.replaceChildren()
        api<{ recovery_codes: string[] }>('POST', '/admin/v1/me/totp/confirm', { code: code.value.trim() })
          .then((res) => {
            me.totp_enabled = true
            box.replaceChildren(recoveryCodes(res.recovery_codes))
            box.querySelector<HTMLElement>('h3')?.focus()
          })
          .catch((error: unknown) => {
            status.replaceChildren(alertBox(errorText(error)))
            code.focus()
          })
      },
    },
    field('Code from the app', code),
    status,
    h('button', { type: 'submit', class: 'primary' }, 'Turn on two-factor sign-in')))
  queueMicrotask(() => code.focus())
  return box
}

function recoveryCodes(codes: readonly string[]): HTMLElement {
  return h('div', {},
    h('p', { role: 'status' }, 'Two-factor sign-in is on.'),
    h('h3', { tabindex: '-1' }, 'Recovery codes'),
    h('p', {}, 'Keep these somewhere safe, apart from your phone: each one signs you in once if you lose the app. They are shown only now.'),
    h('ol', { class: 'codes', 'aria-label': 'Recovery codes' }, codes.map((c) => h('li', {}, c))),
    copyButton(() => codes.join('\n'), 'Recovery codes'))
}
