// @ts-nocheck
// An example, not part of the package: it is neither compiled nor tested, and its dependencies are
// not installed. To run it in your own project: `npm i fastify @verity/node`.
//
// GET /api/messenger-identity tells your app who the signed-in user is, with the proof Verity asks
// for. It sits behind your own login, because the proof is only worth what your session check is.

import Fastify from 'fastify'
import { signIdentityToken, userHash } from '@verity/node'

import { authPlugin } from './your-auth.js' // yours: @fastify/session, @fastify/jwt, a cookie…

// One secret per platform: a hash made with the web secret does not verify from the iOS app.
// The values live in the server's environment, never in the app's code or bundle. The *_ID
// variables are the Verity ids of those secrets; they are optional and help while rotating.
const verity = {
  web: { secret: process.env.VERITY_WEB_SECRET, keyId: process.env.VERITY_WEB_SECRET_ID },
  ios: { secret: process.env.VERITY_IOS_SECRET, keyId: process.env.VERITY_IOS_SECRET_ID },
  android: {
    secret: process.env.VERITY_ANDROID_SECRET,
    keyId: process.env.VERITY_ANDROID_SECRET_ID,
  },
}

const app = Fastify({ logger: true })
await app.register(authPlugin) // decorates request.user for a signed-in user

app.get('/api/messenger-identity', async (request, reply) => {
  const user = request.user
  if (!user) return reply.code(401).send({ error: 'Sign in first.' })

  // The mobile apps ask with ?platform=ios or ?platform=android (or an X-Verity-Platform header).
  const platform = String(request.query.platform ?? request.headers['x-verity-platform'] ?? 'web')
  const config = Object.hasOwn(verity, platform) ? verity[platform] : undefined
  if (!config) return reply.code(400).send({ error: 'platform must be web, ios or android.' })
  if (!config.secret) {
    // Say which variable is missing in your logs, never the secret, and tell the app nothing more.
    request.log.error(`VERITY_${platform.toUpperCase()}_SECRET is not set`)
    return reply.code(503).send({ error: 'The messenger is not set up for this platform.' })
  }

  // Ids are strings to Verity; the exact same strings must reach the messenger.
  const identity = { userId: String(user.id), email: user.email ?? undefined }

  // The proof is as good as a password for the messenger: keep it out of shared caches.
  reply.header('Cache-Control', 'no-store')
  return {
    userId: identity.userId,
    email: identity.email, // left out of the JSON when the user has none
    // The app gives the messenger one of the two, never both:
    //   messenger.login({ userId, email, userHash })   or   messenger.login({ identityToken })
    userHash: userHash(config.secret, identity),
    // It expires, so keep it short: the messenger's getIdentityToken callback asks this route
    // again for a fresh one. Attributes are signed, not hidden, and must be plain JSON.
    identityToken: signIdentityToken(
      config.secret,
      { ...identity, attributes: { plan: user.plan } },
      { expiresIn: 10 * 60, keyId: config.keyId },
    ),
  }
})

await app.listen({ port: 3000 })
