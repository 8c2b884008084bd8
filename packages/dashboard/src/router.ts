import { h } from './dom.js'

let draw: () => void = () => {}

/** Tells the router how to draw the current screen (main.ts does, once). */
export function onNavigate(render: () => void): void {
  draw = render
  window.addEventListener('popstate', () => draw())
}

/** Moves to a screen without reloading: the address changes and the screen is drawn again. */
export function navigate(path: string): void {
  history.pushState(null, '', path)
  draw()
}

/** A link that the app follows itself (a modified click still opens a new tab as usual). */
export function link(path: string, text: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  return h('a', {
    ...attrs,
    href: path,
    onclick: (event: Event) => {
      const e = event as MouseEvent
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
      event.preventDefault()
      navigate(path)
    },
  }, text)
}
