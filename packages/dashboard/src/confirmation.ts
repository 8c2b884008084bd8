import { api, ApiError } from './api.js'
import { alertBox, field, h } from './dom.js'
import { openDialog } from './dialog.js'

/**
 * Runs a sensitive call; when the server answers reauthentication_required, asks for the password
 * in a dialog, confirms it (10 minutes of sensitive calls) and runs the call again. Resolves with
 * null when the person cancels.
 */
export async function withConfirmation<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call()
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'reauthentication_required') throw error
  }
  const confirmed = await askPassword()
  return confirmed ? call() : null
}

function askPassword(): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false
    const password = h('input', { type: 'password', autocomplete: 'current-password', required: true })
    const status = h('div')
    const dialog = openDialog('Confirm your password', (close) => [
      h('p', {}, 'This change is sensitive. Confirm your password to continue; it stays confirmed for 10 minutes.'),
      h(
        'form',
        {
          onsubmit: (event: Event) => {
            event.preventDefault()
            status.replaceChildren()
            api('POST', '/admin/v1/session/confirm', { password: password.value })
              .then(() => {
                done = true
                resolve(true)
                close()
              })
              .catch((error: unknown) => {
                status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
                password.focus()
              })
          },
        },
        field('Password', password),
        status,
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'primary' }, 'Confirm'),
          h('button', { type: 'button', onclick: () => close() }, 'Cancel')),
      ),
    ])
    dialog.addEventListener('close', () => {
      if (!done) resolve(false)
    })
    password.focus()
  })
}
