import { h } from './dom.js'

/** Text that marks commands and names with backticks, as the docs do: those parts become <code>, all as text nodes. */
export function withCode(text: string): (string | HTMLElement)[] {
  return text.split('`').map((part, i) => (i % 2 === 1 ? h('code', {}, part) : part))
}
