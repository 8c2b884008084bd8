import { h } from '../dom.js'

/** A screen that is planned but not built: it says so plainly, and where to go instead. */
export function renderNotYet(main: HTMLElement, title: string, planned: boolean): void {
  main.replaceChildren(
    h('h1', {}, title),
    h('p', {}, planned
      ? `The ${title} screen is not in the dashboard yet. The admin API and the verity CLI already offer it; see docs/api.md.`
      : 'There is no such page. Choose a screen in the navigation above.'),
  )
}
