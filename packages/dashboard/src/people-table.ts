import './people.css'
import { h } from './dom.js'

type Cell = Node | string | null
/**
 * A table with a caption and column headers; each cell carries its column's name, which the
 * phone layout shows beside the value when the columns stack.
 */
export function peopleTable(caption: string, headers: readonly string[], rows: readonly Cell[][], empty: string): HTMLElement {
  const body = rows.length === 0
    ? [h('tr', {}, h('td', { colspan: String(headers.length) }, empty))]
    : rows.map((cells) => h('tr', {}, cells.map((cell, i) => h('td', { 'data-label': headers[i] }, cell))))
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'people-table' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, body)))
}

/** A time in the reader's own locale and zone, with the exact instant in the title. */
export function when(iso: string | null, none = 'never'): HTMLElement | string {
  if (iso === null) return none
  return h('time', { datetime: iso, title: iso }, new Date(iso).toLocaleString())
}
