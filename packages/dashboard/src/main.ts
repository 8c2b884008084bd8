import './styles.css'
import { api, ApiError, setCsrfToken, type Teammate } from './api.js'
import { alertBox, h } from './dom.js'
import { renderSignIn } from './screens/sign-in.js'
import { renderAcceptInvite } from './screens/accept-invite.js'
import { renderApps } from './screens/apps.js'
import { renderAppPage } from './screens/app-page.js'
import { renderNotYet } from './screens/not-yet.js'
import { renderAuditLog } from './screens/audit-log.js'
import { renderTeammates } from './screens/teammates.js'
import { renderAccount } from './screens/account.js'
import { link, navigate, onNavigate } from './router.js'
import { renderInbox } from './screens/inbox.js'
import { renderFailures } from './screens/failures.js'
import { renderAppAlerts } from './screens/app-alerts.js'
import { closeLiveEvents } from './live-events.js'
import { homeOf, mayOpen } from './role-access.js'

const root = document.getElementById('app')!
let teammate: Teammate | null = null

const NAV: readonly [label: string, path: string][] = [
  ['Apps', '/apps'],
  ['Inbox', '/inbox'],
  ['Audit log', '/audit-log'],
  ['Teammates', '/teammates'],
  ['Account', '/account'],
]

function layout(path: string, main: HTMLElement): HTMLElement {
  const signOut = h('button', {
    type: 'button',
    class: 'quiet',
    onclick: () => {
      void api('DELETE', '/admin/v1/session').catch(() => undefined).then(() => {
        teammate = null
        setCsrfToken(null)
        closeLiveEvents()
        navigate('/')
      })
    },
  }, 'Sign out')
  return h('div', { class: 'shell' },
    h('header', { class: 'top' },
      h('span', { class: 'brand' }, 'Verity'),
      h('nav', { 'aria-label': 'Main' },
        h('ul', {}, NAV.filter(([, to]) => mayOpen(teammate?.role ?? '', to)).map(([label, to]) => h('li', {}, link(to, label, path === to || path.startsWith(`${to}/`) ? { 'aria-current': 'page' } : {}))))),
      h('span', { class: 'who' }, teammate?.email ?? '', ' ', signOut)),
    main)
}

function onSignedIn(then: string): (signedIn: Teammate, csrf: string) => void {
  return (signedIn, csrf) => {
    teammate = signedIn
    setCsrfToken(csrf)
    navigate(then === '/apps' || !mayOpen(signedIn.role, then) ? homeOf(signedIn.role) : then)
  }
}

async function render(): Promise<void> {
  const path = location.pathname
  const invite = /^#invite=([\w-]{1,200})$/.exec(location.hash)
  if (invite) {
    root.replaceChildren(renderAcceptInvite(invite[1]!, (email) => {
      // The token is spent: drop it from the address and the history entry.
      history.replaceState(null, '', '/')
      teammate = null
      setCsrfToken(null)
      root.replaceChildren(renderSignIn(onSignedIn('/apps'), email, 'Your password is set. Sign in with it.'))
    }))
    return
  }
  if (teammate === null) {
    try {
      const session = await api<{ teammate: Teammate; csrf_token: string }>('GET', '/admin/v1/session')
      teammate = session.teammate
      setCsrfToken(session.csrf_token)
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) {
        root.replaceChildren(h('main', {}, h('h1', {}, 'Verity'), alertBox(error instanceof ApiError ? error.describe() : String(error))))
        return
      }
      root.replaceChildren(renderSignIn(onSignedIn(path === '/' || path === '/sign-in' ? '/apps' : path)))
      return
    }
  }
  if (path === '/' || path === '/sign-in' || !mayOpen(teammate.role, path)) {
    history.replaceState(null, '', homeOf(teammate.role))
    return render()
  }
  const main = h('main', { id: 'main', tabindex: '-1' })
  root.replaceChildren(layout(path, main))
  const appMatch = /^\/apps\/([^/]+)$/.exec(path)
  const failuresMatch = /^\/apps\/([^/]+)\/failures$/.exec(path)
  if (path === '/apps') await renderApps(main)
  else if (appMatch) {
    await renderAppPage(main, decodeURIComponent(appMatch[1]!))
    await renderAppAlerts(main, decodeURIComponent(appMatch[1]!))
  } else if (failuresMatch) await renderFailures(main, decodeURIComponent(failuresMatch[1]!))
  else if (path === '/inbox') await renderInbox(main, teammate)
  else if (path === '/audit-log') await renderAuditLog(main)
  else if (path === '/teammates') await renderTeammates(main, teammate!)
  else if (path === '/account') await renderAccount(main, teammate!)
  else {
    const item = NAV.find(([, to]) => to === path)
    renderNotYet(main, item ? item[0] : 'Page not found', item !== undefined)
  }
}

onNavigate(() => void render())
void render()
