import { h } from './dom.js'

/** A "Copy" button for one value; says "Copied" (politely, to screen readers) once it is done. */
export function copyButton(value: () => string, what: string): HTMLElement {
  const status = h('span', { role: 'status', class: 'hint' })
  const button = h('button', {
    type: 'button',
    onclick: () => {
      navigator.clipboard.writeText(value()).then(
        () => status.replaceChildren(`${what} copied.`),
        () => status.replaceChildren(`Copying was refused by the browser; select the ${what.toLowerCase()} and copy it by hand.`),
      )
    },
  }, 'Copy')
  return h('span', { class: 'copy' }, button, status)
}
