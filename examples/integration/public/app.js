// The web page of the example: @verity/messenger against a local Verity, in a few lines each.
import { createMessenger, VerityError } from '/sdk/index.js'

const config = await (await fetch('/config.json')).json()
const messenger = createMessenger({
  baseUrl: config.verityUrl,
  appId: config.appId,
  platform: 'web',
  appVersion: '1.0.0',
  // The device id survives reloads, so a visitor keeps their conversations.
  storage: localStorage,
})

const $ = (selector) => document.querySelector(selector)
let openId = null // the conversation shown on the right, or null for a new one

function showError(error) {
  $('#error').textContent = error instanceof VerityError ? `${error.code}: ${error.message}` : String(error)
}

function showUser() {
  const user = messenger.user
  $('#signed-out').hidden = !!user
  $('#signed-in').hidden = !user
  if (!user) return void ($('#status').textContent = 'Not signed in.')
  const who = user.anonymous ? 'a visitor' : user.userId ?? user.email
  $('#status').innerHTML = ''
  const label = document.createElement('span')
  label.className = user.verified ? 'verified' : 'unverified'
  label.textContent = user.verified ? 'verified' : user.anonymous ? 'anonymous' : 'unverified'
  $('#status').append(`Messenger session for ${who}: `, label)
}

function addMessage(message) {
  const item = document.createElement('li')
  item.className = message.author
  item.dataset.id = message.id
  item.textContent = message.body
  const meta = document.createElement('small')
  meta.textContent = `${message.author}, ${new Date(message.createdAt).toLocaleTimeString()}`
  item.append(meta)
  $('#messages').append(item)
}

async function showConversations() {
  const { conversations } = await messenger.conversations.list()
  $('#conversations').replaceChildren(
    ...conversations.map((conversation) => {
      const item = document.createElement('li')
      item.textContent = `${new Date(conversation.createdAt).toLocaleString()}${conversation.verified ? '' : ' (unverified)'}`
      item.className = conversation.id === openId ? 'open' : ''
      item.onclick = () => openConversation(conversation.id).catch(showError)
      return item
    }),
  )
}

async function openConversation(id) {
  openId = id
  $('#messages').replaceChildren()
  $('#teammate').hidden = !id
  $('#thread-title').textContent = id ? 'Conversation' : 'New conversation'
  if (id) {
    const conversation = await messenger.conversations.get(id)
    conversation.messages.forEach(addMessage)
    $('#teammate-command').textContent =
      `curl -X POST ${config.verityUrl}/admin/v1/apps/${config.appId}/conversations/${id}/messages \\\n` +
      `  -H "Authorization: Bearer $VERITY_ADMIN_KEY" -H "Content-Type: application/json" \\\n` +
      `  -d '{"body": "Hi! How can I help?"}'`
  }
  await showConversations()
}

async function afterLogin() {
  showUser()
  await openConversation(null)
}

// Live replies: the SDK keeps the connection (and reconnects) while a listener is registered.
messenger.onMessage((message, conversationId) => {
  if (conversationId === openId && !document.querySelector(`[data-id="${CSS.escape(message.id)}"]`)) addMessage(message)
  showConversations().catch(showError)
})

$('#login-form').onsubmit = async (event) => {
  event.preventDefault()
  $('#error').textContent = ''
  try {
    const form = new FormData(event.target)
    const response = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: form.get('userId'), email: form.get('email') || undefined }),
    })
    const identity = await response.json()
    if (!response.ok) throw new Error(identity.error)
    await messenger.login(identity) // { userId, email?, userHash } from Acme's backend
    await afterLogin()
  } catch (error) {
    showError(error)
  }
}

$('#visitor').onclick = () => messenger.registerUnidentifiedUser().then(afterLogin).catch(showError)

$('#logout').onclick = async () => {
  await fetch('/api/logout', { method: 'POST' })
  await messenger.logout()
  openId = null
  $('#messages').replaceChildren()
  $('#conversations').replaceChildren()
  showUser()
}

$('#new').onclick = () => openConversation(null).catch(showError)

$('#send-form').onsubmit = async (event) => {
  event.preventDefault()
  $('#error').textContent = ''
  const body = event.target.body.value
  try {
    if (openId) addMessage(await messenger.conversations.reply(openId, body))
    else await openConversation((await messenger.conversations.create(body)).id)
    event.target.reset()
  } catch (error) {
    showError(error)
  }
}

// Still signed in to Acme after a reload: ask the backend for the proof again.
const existing = await fetch('/api/messenger-identity')
if (existing.ok) await messenger.login(await existing.json()).then(afterLogin, showError)
