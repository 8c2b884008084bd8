import { api, ApiError, PLATFORM_LABELS, type PlatformName } from '../api.js'
import { alertBox, field, h } from '../dom.js'
import type { ProofTestResult } from '../platform-types.js'
import { withCode } from '../code-text.js'

/**
 * "Test a user hash": the server checks the proof as the messenger call would and, when it fails,
 * names the mistake and what to do. It records nothing and never shows a secret.
 */
export function proofTesterPanel(appId: string, platform: PlatformName): HTMLElement {
  const label = PLATFORM_LABELS[platform]
  const input = (attrs: Record<string, string> = {}): HTMLInputElement =>
    h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', ...attrs })
  const userId = input()
  const email = input({ type: 'email' })
  const userHash = input({ class: 'mono' })
  const identityToken = input({ class: 'mono' })
  const verdict = h('div', { class: 'verdict', 'aria-live': 'polite' })
  const button = h('button', { type: 'submit', class: 'primary' }, 'Test')

  const body = (): Record<string, string> => {
    const fields: Record<string, string> = {}
    for (const [name, el] of [['user_id', userId], ['email', email], ['user_hash', userHash], ['identity_token', identityToken]] as const) {
      // Exact bytes are hashed, so the values go as typed: only an empty field is left out.
      if (el.value !== '') fields[name] = el.value
    }
    return fields
  }

  const form = h('form', {
    class: 'tool',
    onsubmit: (event: Event) => {
      event.preventDefault()
      verdict.replaceChildren(h('p', { class: 'hint' }, 'Testing…'))
      button.disabled = true
      api<ProofTestResult>('POST', `/admin/v1/apps/${encodeURIComponent(appId)}/platforms/${platform}/test-proof`, body())
        .then((result) => verdict.replaceChildren(...showVerdict(result)))
        .catch((error: unknown) => verdict.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error))))
        .finally(() => {
          button.disabled = false
        })
    },
  },
  h('p', { class: 'hint' }, `Paste what your server computed for one ${label} user. Nothing is recorded, and no secret is shown.`),
  field('User ID', userId, 'The user_id the messenger sends; the hash is over it when there is one.'),
  field('Email', email, 'Hashed only when there is no user ID.'),
  field('User hash', userHash, '64 hex characters: HMAC-SHA256 of the user ID (or email) with this platform\'s secret.'),
  field('Identity token', identityToken, 'Instead of a user hash: the whole token, with the identity inside it (leave User ID and Email empty).'),
  h('div', { class: 'actions' }, button),
  verdict)
  return form
}

function showVerdict(result: ProofTestResult): HTMLElement[] {
  if (result.verified) return [h('p', { class: 'verdict-ok' }, 'Verified'), h('p', {}, ...withCode(result.advice))]
  return [
    h('p', { class: 'verdict-bad' }, 'Not verified', result.diagnosis ? ': ' : '', result.diagnosis ? h('code', {}, result.diagnosis) : null),
    h('p', {}, ...withCode(result.advice)),
  ]
}
