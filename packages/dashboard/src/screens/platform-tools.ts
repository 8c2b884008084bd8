import './platform-tools.css'
import type { PlatformName } from '../api.js'
import { h } from '../dom.js'
import { codePanel } from './platform-code.js'
import { proofTesterPanel } from './proof-tester.js'
import { secretsPanel } from './platform-secrets.js'

/**
 * A platform's tools, each behind a heading that opens it (keyboard: Tab, then Enter or Space):
 * "Secrets", "Test a user hash", "Code". Closed by default so the region stays short; "Code" is open
 * while the platform has seen no user, because that is what a new integrator needs next.
 */
export function platformTools(appId: string, platform: PlatformName, noTraffic: boolean): HTMLElement {
  const tool = (title: string, open: boolean, build: () => HTMLElement): HTMLDetailsElement => {
    const details = h('details', { class: 'tool-box', open })
    let built = false
    // Built on first opening: secrets and rollout are fetched only when someone looks.
    const ensure = (): void => {
      if (built || !details.open) return
      built = true
      details.append(build())
    }
    details.append(h('summary', {}, title))
    details.addEventListener('toggle', ensure)
    ensure()
    return details
  }
  return h('div', { class: 'tools' },
    tool('Secrets', false, () => secretsPanel(appId, platform)),
    tool('Test a user hash', false, () => proofTesterPanel(appId, platform)),
    tool('Code', noTraffic, () => codePanel(appId, platform, noTraffic)))
}
