/** Builds an element: attributes (on* become listeners), then children (strings become text, never HTML). */
type Child = Node | string | null | undefined | false
type Attrs = Record<string, string | boolean | number | EventListener | undefined>

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value)
    else if (value === true) el.setAttribute(name, '')
    else el.setAttribute(name, String(value))
  }
  append(el, children)
  return el
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(el, child)
    else if (child !== null && child !== undefined && child !== false) el.append(child)
  }
}

let nextId = 0
/** A unique id, to tie a label or a heading to what it names. */
export function uid(prefix: string): string {
  nextId += 1
  return `${prefix}-${nextId}`
}

/** A labelled field: the label's `for` names the input, so screen readers (and tests) find it by its label. */
export function field(label: string, input: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  input.id ||= uid('field')
  const hintEl = hint ? h('p', { class: 'hint', id: uid('hint') }, hint) : null
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id)
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl)
}

/** A message read out when it appears: errors in words, with the API's code. */
export function alertBox(text: string): HTMLElement {
  return h('p', { role: 'alert', class: 'error' }, text)
}
