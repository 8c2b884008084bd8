// @ts-nocheck
// An example, not part of the package: it is neither compiled nor tested, and its dependencies are
// not installed. To run it in your own project: `npm i express @verity/node`.
//
// GET /api/messenger-identity tells your app who the signed-in user is, with the proof Verity asks
// for. It sits behind your own login, because the proof is only worth what your session check is.

import express from 'express'
import { signIdentityToken, userHash } from '@verity/node'

import { sessionMiddleware } from './your-auth.js' // yours: express-session, passport…

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

const app = express()
app.use(sessionMiddleware) // sets req.user for a signed-in user

app.get('/api/messenger-identity', (req, res) => {
  const user = req.user
  if (!user) return res.status(401).json({ error: 'Sign in first.' })

  // The mobile apps ask with ?platform=ios or ?platform=android (or an X-Verity-Platform header).
  const platform = String(req.query.platform ?? req.get('x-verity-platform') ?? 'web')
  const config = Object.hasOwn(verity, platform) ? verity[platform] : undefined
  if (!config) return res.status(400).json({ error: 'platform must be web, ios or android.' })
  if (!config.secret) {
    // Say which variable is missing in your logs, never the secret, and tell the app nothing more.
    console.error(`VERITY_${platform.toUpperCase()}_SECRET is not set`)
    return res.status(503).json({ error: 'The messenger is not set up for this platform.' })
  }

  // Ids are strings to Verity; the exact same strings must reach the messenger.
  const identity = { userId: String(user.id), email: user.email ?? undefined }

  // The proof is as good as a password for the messenger: keep it out of shared caches.
  res.set('Cache-Control', 'no-store')
  res.json({
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
  })
})

app.listen(3000)
