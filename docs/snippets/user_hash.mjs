// Verity user hash in Node.js (node:crypto). In your own server you can also use
// `userHash(secret, { userId, email })` from @verity/node.
// Usage: node user_hash.mjs SECRET IDENTIFIER   (identifier = user_id when you send one, else email)
import { createHmac } from 'node:crypto'

const [secret, identifier] = process.argv.slice(2)
console.log(createHmac('sha256', secret).update(identifier, 'utf8').digest('hex'))
