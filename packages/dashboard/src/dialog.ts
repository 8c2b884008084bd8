import { h, uid } from './dom.js'

/**
 * A modal dialog named by its heading. showModal() makes the rest of the page inert, keeps focus
 * inside, and Escape closes it; the dialog is removed once closed and focus returns to `opener`.
 */
export function openDialog(title: string, body: (close: () => void) => Node[]): HTMLDialogElement {
  const opener = document.activeElement as HTMLElement | null
  const headingId = uid('dialog-title')
  const dialog = h('dialog', { 'aria-labelledby': headingId, class: 'dialog' })
  const close = (): void => dialog.close()
  dialog.append(h('h2', { id: headingId }, title), ...body(close))
  dialog.addEventListener('close', () => {
    dialog.remove()
    if (opener?.isConnected) opener.focus()
  })
  document.body.append(dialog)
  dialog.showModal()
  return dialog
}
