import { ApiError } from './api.js'
import { h } from './dom.js'

/**
 * A "Copy" button for one value; says "Copied" (politely, to screen readers) once it is done. The
 * value may come later (a secret fetched after a password confirmation); null copies nothing.
 */
export function copyButton(value: () => string | null | Promise<string | null>, what: string): HTMLElement {
  const status = h('span', { role: 'status', class: 'hint' })
  const button = h('button', {
    type: 'button',
    onclick: () => {
      status.replaceChildren()
      Promise.resolve()
        .then(value)
        .then((text) => {
          if (text === null) return
          return navigator.clipboard.writeText(text).then(
            () => status.replaceChildren(`${what} copied.`),
            () => status.replaceChildren(`Copying was refused by the browser; select the ${what.toLowerCase()} and copy it by hand.`),
          )
        })
        .catch((error: unknown) => status.replaceChildren(error instanceof ApiError ? error.describe() : String(error)))
    },
  }, 'Copy')
  return h('span', { class: 'copy' }, button, status)
}
