import { SNIPPETS, type Snippet } from 'verity:snippets'
import { PLATFORM_LABELS, type PlatformName } from '../api.js'
import { copyButton } from '../copy-button.js'
import { field, h } from '../dom.js'
import { withCode } from '../code-text.js'

const NODE_SDK = '@verity/node'
const MESSENGER_SDK = 'Messenger SDK (@verity/messenger)'

/** The environment variable the code reads the platform's secret from, e.g. VERITY_WEB_SECRET. */
export function secretVariable(platform: PlatformName): string {
  return `VERITY_${platform.toUpperCase()}_SECRET`
}

/**
 * "Code": the user-hash snippet of every language in docs/snippets (bundled at build time), the
 * @verity/node call, and the messenger SDK's login. The secret is read from an environment variable
 * in every one of them: it is never pasted into code, and the page never puts it there.
 */
export function codePanel(appId: string, platform: PlatformName, noTraffic: boolean): HTMLElement {
  const select = h('select', {},
    h('option', { value: NODE_SDK }, `Node.js server (${NODE_SDK})`),
    SNIPPETS.map((s) => h('option', { value: s.language }, s.language)),
    h('option', { value: MESSENGER_SDK }, MESSENGER_SDK))
  const shown = h('div', { class: 'code-shown' })
  const draw = (): void => {
    const chosen = select.value
    const snippet = SNIPPETS.find((s) => s.language === chosen)
    const server = chosen === MESSENGER_SDK ? [] : snippet ? snippetBlocks(snippet, platform) : nodeBlocks(platform)
    shown.replaceChildren(...server, ...messengerBlocks(appId, platform, chosen === MESSENGER_SDK))
  }
  select.addEventListener('change', draw)
  draw()
  return h('div', { class: 'tool' },
    noTraffic
      ? h('p', {}, `No ${PLATFORM_LABELS[platform]} user has been seen yet. Compute the user hash on your server after your own login, then give it to the messenger with the SDK call below.`)
      : null,
    field('Language', select),
    shown)
}

function codeBlock(code: string, what: string, caption?: string): HTMLElement {
  return h('figure', { class: 'code' },
    caption ? h('figcaption', {}, caption) : null,
    h('pre', { tabindex: '0' }, h('code', {}, code)),
    copyButton(() => code, what))
}

function snippetBlocks(snippet: Snippet, platform: PlatformName): HTMLElement[] {
  const variable = secretVariable(platform)
  const run = snippet.run.replaceAll('"$SECRET"', `"$${variable}"`).replaceAll('"$IDENTIFIER"', '"$USER_ID"')
  return [
    ...snippet.files.map((f) => codeBlock(f.code, 'Code', `docs/snippets/${f.path}`)),
    h('p', {}, `It takes the secret as its first argument: pass it from the environment variable ${variable} of your server, never write it in the code.`),
    codeBlock(run, 'Command', 'Run'),
    h('p', { class: 'hint' }, 'Pitfalls: ', ...withCode(snippet.pitfalls)),
  ]
}

function nodeBlocks(platform: PlatformName): HTMLElement[] {
  const code = `import { userHash } from '${NODE_SDK}'

// In a route that only signed-in users reach:
const identity = { userId: String(user.id), email: user.email }
const hash = userHash(process.env.${secretVariable(platform)}!, identity)
// Send { userId: identity.userId, email: identity.email, userHash: hash } to the app.`
  return [codeBlock(code, 'Code', 'Your server (Node.js)')]
}

function messengerBlocks(appId: string, platform: PlatformName, alone: boolean): HTMLElement[] {
  const code = `import { createMessenger } from '@verity/messenger'

const messenger = createMessenger({ baseUrl: ${JSON.stringify(location.origin)}, appId: ${JSON.stringify(appId)}, platform: ${JSON.stringify(platform)} })
const { userId, email, userHash } = await (await fetch('/api/messenger-identity')).json() // your server
await messenger.login({ userId, email, userHash })`
  return [
    h('p', {}, alone
      ? 'In the app (web or React Native): log the user in with the proof your server made. The app never holds the secret.'
      : 'Then, in the app (web or React Native), the SDK call with the hash from your server:'),
    codeBlock(code, 'SDK call', 'The app'),
  ]
}
