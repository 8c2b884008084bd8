import { api, ApiError, PLATFORM_LABELS, type App, type PlatformName, type Teammate } from '../api.js'
import { alertBox, field, h, uid } from '../dom.js'
import { onLiveEvent, onLiveReconnect, whileShown } from '../live-events.js'
import { utcTime } from './failures.js'

interface Conversation {
  id: string
  app_id: string
  trust: 'verified' | 'unverified' | 'anonymous'
  user: { user_id: string | null; email: string | null; email_verified: boolean; name: string | null }
  platform: PlatformName
  last_message_at: string
}
interface Message { id: string; author: 'user' | 'teammate'; body: string; created_at: string }
interface LiveMessage { app_id: string; conversation_id: string; message: Message }

const BADGES: Readonly<Record<Conversation['trust'], string>> = { verified: 'Verified', unverified: 'Unverified', anonymous: 'Anonymous' }

/** Who wrote: a verified user's name or id, else what the session claimed, else "Visitor". */
function who(c: Conversation): string {
  return c.user.name ?? c.user.user_id ?? c.user.email ?? 'Visitor'
}

/**
 * Every app's conversations, newest first, each with its trust badge; one open at a time with its
 * messages, a "Reply" field and "Send". New messages arrive without a reload (GET /admin/v1/events).
 */
export async function renderInbox(main: HTMLElement, teammate: Teammate): Promise<void> {
  const list = h('ul', { class: 'conversations', 'aria-label': 'Conversations' })
  const listStatus = h('div', {}, h('p', { class: 'hint' }, 'Loading conversations…'))
  const pane = h('section', { class: 'panel conversation', 'aria-label': 'Conversation' },
    h('p', { class: 'hint' }, 'Choose a conversation to read it and reply.'))
  const news = h('p', { role: 'status', class: 'hint' })
  const appNames = new Map<string, string>()
  const conversations = new Map<string, Conversation>()
  let open: { conversation: Conversation; messages: HTMLElement } | null = null
  /** Conversations with a message that arrived while another one was open. */
  const unread = new Set<string>()

  main.replaceChildren(
    h('h1', {}, 'Inbox'),
    h('p', { class: 'hint' }, 'Verified: the user proved who they are (a valid user hash or identity token). Unverified: they only said who they are. Anonymous: no identity at all.'),
    news,
    h('div', { class: 'inbox' }, h('div', {}, listStatus, list), pane),
  )

  const item = (c: Conversation): HTMLElement => {
    const app = appNames.get(c.app_id)
    const isNew = unread.has(c.id)
    return h('li', { 'data-id': c.id, class: isNew ? 'unread' : undefined },
      h('button', { type: 'button', class: 'conversation-item', 'aria-current': open?.conversation.id === c.id ? 'true' : undefined, onclick: () => void show(c) },
        h('span', { class: 'person' }, who(c)), ' ',
        h('span', { class: `badge ${c.trust}` }, BADGES[c.trust]), ' ',
        h('span', { class: 'tag' }, PLATFORM_LABELS[c.platform]),
        app ? h('span', { class: 'hint' }, ` ${app}`) : null,
        isNew ? h('span', { class: 'new' }, ' New message') : null,
        h('br'),
        h('span', { class: 'hint' }, utcTime(c.last_message_at))))
  }

  const loadList = async (): Promise<void> => {
    try {
      const page = await api<{ conversations: Conversation[] }>('GET', '/admin/v1/conversations?limit=100')
      conversations.clear()
      for (const c of page.conversations) conversations.set(c.id, c)
      list.replaceChildren(...page.conversations.map((c) => item(c)))
      listStatus.replaceChildren(page.conversations.length === 0
        ? h('p', {}, 'No conversations yet. They appear here, without a reload, as soon as a user writes through the messenger.')
        : '')
    } catch (error) {
      listStatus.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
    }
  }

  const show = async (c: Conversation): Promise<void> => {
    const headingId = uid('conversation')
    const messages = h('ol', { class: 'messages', 'aria-label': 'Messages' })
    const reply = h('input', { type: 'text', autocomplete: 'off', maxlength: '4000', required: true })
    const status = h('div')
    const send = h('button', { type: 'submit', class: 'primary' }, 'Send')
    open = { conversation: c, messages }
    unread.delete(c.id)
    for (const button of list.querySelectorAll('button')) button.removeAttribute('aria-current')
    const li = list.querySelector(`li[data-id="${c.id}"]`)
    li?.classList.remove('unread')
    li?.querySelector('.new')?.remove()
    li?.querySelector('button')?.setAttribute('aria-current', 'true')
    pane.replaceChildren(...([
      h('h2', { id: headingId, tabindex: '-1' }, who(c), ' ', h('span', { class: `badge ${c.trust}` }, BADGES[c.trust])),
      c.user.email && c.user.email !== who(c) ? h('p', { class: 'hint' }, `${c.user.email}${c.user.email_verified ? '' : ' (claimed, not proven)'}`) : null,
      messages,
      h('form', {
        onsubmit: (event: Event) => {
          event.preventDefault()
          status.replaceChildren()
          send.disabled = true
          api<{ message: Message }>('POST', `/admin/v1/apps/${encodeURIComponent(c.app_id)}/conversations/${encodeURIComponent(c.id)}/messages`, { body: reply.value })
            .then(({ message }) => {
              messages.append(messageItem(message))
              reply.value = ''
              reply.focus()
            })
            .catch((error: unknown) => status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error))))
            .finally(() => (send.disabled = false))
        },
      }, field('Reply', reply), status, h('div', { class: 'actions' }, send)),
    ] as (HTMLElement | null)[]).filter((node): node is HTMLElement => node !== null))
    pane.setAttribute('aria-labelledby', headingId)
    try {
      const got = await api<{ messages: Message[] }>('GET', `/admin/v1/apps/${encodeURIComponent(c.app_id)}/conversations/${encodeURIComponent(c.id)}`)
      // A live message may have arrived while these were read: each is shown once.
      messages.prepend(...got.messages.filter((m) => !messages.querySelector(`[data-id="${m.id}"]`)).map(messageItem))
    } catch (error) {
      status.replaceChildren(alertBox(error instanceof ApiError ? error.describe() : String(error)))
    }
    pane.querySelector<HTMLElement>('h2')?.focus()
  }

  whileShown(main, [
    onLiveEvent<LiveMessage>('message', (live) => {
      const known = conversations.get(live.conversation_id)
      if (open?.conversation.id === live.conversation_id && !open.messages.querySelector(`[data-id="${live.message.id}"]`)) {
        open.messages.append(messageItem(live.message))
      }
      news.replaceChildren(`New message from ${known ? who(known) : 'a new conversation'}.`)
      if (open?.conversation.id !== live.conversation_id) unread.add(live.conversation_id)
      if (!known) {
        void loadList()
        return
      }
      known.last_message_at = live.message.created_at
      list.querySelector(`li[data-id="${known.id}"]`)?.remove()
      list.prepend(item(known))
    }),
    onLiveReconnect(() => void loadList()),
  ])

  // Owners and admins see which app each conversation belongs to; agents do not read apps.
  if (teammate.role !== 'agent') {
    await api<{ apps: App[] }>('GET', '/admin/v1/apps?limit=100').then(({ apps }) => {
      for (const app of apps) appNames.set(app.id, app.name)
    }, () => undefined)
  }
  await loadList()
}

function messageItem(m: Message): HTMLElement {
  return h('li', { 'data-id': m.id, class: `message ${m.author}` },
    h('span', { class: 'author' }, m.author === 'user' ? 'User' : 'Teammate'), ' ',
    h('span', { class: 'hint' }, utcTime(m.created_at)),
    h('p', {}, m.body))
}
