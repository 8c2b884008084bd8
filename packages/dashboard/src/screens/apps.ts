import { api, ApiError, PLATFORM_LABELS, PLATFORMS, type App, type PlatformName, type Secret } from '../api.js'
import { copyButton } from '../copy-button.js'
import { alertBox, field, h, uid } from '../dom.js'
import { openDialog } from '../dialog.js'
import { withConfirmation } from '../confirmation.js'
import { link } from '../router.js'

/** The apps, a link each; "New app" creates one and shows its three secrets once. */
export async function renderApps(main: HTMLElement): Promise<void> {
  const list = h('div', { class: 'app-list' }, h('p', { class: 'hint' }, 'Loading apps…'))
  const created = h('div')
  main.replaceChildren(
    h('div', { class: 'title-row' },
      h('h1', {}, 'Apps'),
      h('button', { type: 'button', class: 'primary', onclick: () => newAppDialog(created, () => void loadList(list)) }, 'New app')),
    created,
    list,
  )
  await loadList(list)
}

async function loadList(list: HTMLElement): Promise<void> {
  try {
    const { apps } = await api<{ apps: App[] }>('GET', '/admin/v1/apps?limit=100')
    if (apps.length === 0) {
      list.replaceChildren(h('p', {}, 'No app yet. Choose "New app" to create one: it gets a secret for each platform.'))
      return
    }
    list.replaceChildren(h('ul', { class: 'cards' }, apps.map((app) =>
      h('li', {}, link(`/apps/${encodeURIComponent(app.id)}`, app.name), ' ', h('span', { class: 'tag' }, app.environment)))))
  } catch (error) {
    list.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
  }
}

function newAppDialog(created: HTMLElement, refresh: () => void): void {
  const name = h('input', { type: 'text', required: true, maxlength: '100', autocomplete: 'off' })
  const environment = h('select', {}, ['development', 'test', 'production'].map((env) => h('option', { value: env }, env)))
  const status = h('div')
  openDialog('New app', (close) => [
    h('form', {
      onsubmit: (event: Event) => {
        event.preventDefault()
        status.replaceChildren()
        withConfirmation(() => api<{ app: App; secrets: Record<PlatformName, Secret> }>('POST', '/admin/v1/apps', { name: name.value, environment: environment.value }))
          .then((res) => {
            close()
            if (res === null) return
            showSecrets(created, res.app, res.secrets)
            refresh()
          })
          .catch((error: unknown) => status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error))))
      },
    },
    field('Name', name),
    field('Environment', environment),
    status,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Create app'),
      h('button', { type: 'button', onclick: () => close() }, 'Cancel'))),
  ])
  name.focus()
}

function showSecrets(created: HTMLElement, app: App, secrets: Record<PlatformName, Secret>): void {
  const headingId = uid('created')
  created.replaceChildren(h('section', { class: 'panel', 'aria-labelledby': headingId },
    h('h2', { id: headingId, tabindex: '-1' }, `${app.name}: its secrets`),
    h('p', {}, 'Keep each secret on your server (for example in an environment variable) and sign user ids with it there. Never put a secret in an app or a web page.'),
    PLATFORMS.map((platform) => {
      const input = h('input', { type: 'text', readonly: true, value: secrets[platform].value, class: 'mono', spellcheck: 'false' })
      return h('div', { class: 'secret-row', role: 'group', 'aria-label': `${PLATFORM_LABELS[platform]} secret` },
        field(`${PLATFORM_LABELS[platform]} secret`, input),
        copyButton(() => input.value, `${PLATFORM_LABELS[platform]} secret`))
    }),
    h('p', {}, link(`/apps/${encodeURIComponent(app.id)}`, `Open ${app.name}`)),
  ))
  created.querySelector<HTMLElement>('h2')?.focus()
}
