import { z } from 'zod'
import type { UserLifecycle, UserSelector } from '../../services/user-lifecycle.js'
import { defineRoute, type Route } from '../route.js'
import { userSelectorSchema } from '../schemas/admin-schemas.js'

/** One user of an app: sign them out everywhere, or erase them (API.md, "Operations and data lifecycle"). */
export function adminUserRoutes(users: UserLifecycle): Route[] {
  return [
    defineRoute({
      method: 'DELETE',
      path: '/admin/v1/apps/{app_id}/users',
      audience: 'admin',
      action: 'users.erase',
      tag: 'admin',
      summary: 'Erase one user: profile, conversations and messages, statistics, failures; their sessions end',
      description:
        'Deletes every row of the user in this app: the conversations their sessions started (verified, or unverified under this identity) with every message in them, ' +
        'their profile, their rollout statistics and failure-log entries. Their access tokens stop and their live streams close on every instance within 2 s. ' +
        'A user id and an email are different users: erase the namespace the user was known by. Erasing a user Verity never saw is 204 too. Audited without the identifier.',
      body: userSelectorSchema,
      responses: { 204: { description: 'Erased' } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'unsupported_media_type', 'payload_too_large'],
      handle: async ({ params, body, actor }) => {
        await users.erase(params.app_id, body as UserSelector, actor)
        return { status: 204 }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps/{app_id}/users/sign-out',
      audience: 'admin',
      action: 'users.sign_out',
      tag: 'admin',
      summary: "Sign a user out everywhere: tokens issued before now are refused, live streams close",
      description:
        'Every access token issued to the user before `signed_out_before` is refused (401 `token_invalid`) and their live streams close, on every instance within 2 s, ' +
        'whatever the session\'s trust (unverified sessions claiming the identity end too). Tokens count time in whole seconds, so `signed_out_before` is the next whole second. ' +
        'The user can sign in again at once. Audited.',
      body: userSelectorSchema,
      responses: { 200: { description: 'Signed out', schema: z.object({ signed_out_before: z.string() }) } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'unsupported_media_type', 'payload_too_large'],
      handle: async ({ params, body, actor }) => ({ status: 200, body: await users.signOut(params.app_id, body as UserSelector, actor) }),
    }),
  ]
}
