import { z } from 'zod'
import type { UserProfiles } from '../../services/user-profiles.js'
import { defineRoute, type Route } from '../route.js'
import { messengerUserSchema, profilePatchSchema } from '../schemas/profile-schemas.js'

const TOKEN_ERRORS = ['token_missing', 'token_invalid', 'token_expired'] as const

export function messengerProfileRoutes(profiles: UserProfiles): Route[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/messenger/me',
      audience: 'messenger',
      tag: 'messenger',
      summary: 'The user of this session, with the profile of a verified user',
      description: 'Unverified and anonymous sessions have no profile: their name is null and their attributes empty.',
      responses: { 200: { description: 'The session user', schema: z.object({ user: messengerUserSchema }) } },
      errors: [...TOKEN_ERRORS, 'unavailable'],
      handle: async ({ session }) => ({ status: 200, body: { user: await profiles.me(session!) } }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/v1/messenger/me',
      audience: 'messenger',
      tag: 'messenger',
      summary: "Change a verified user's name and attributes",
      description:
        'Attributes are merged (null removes one). Attributes that an identity token signed cannot be changed or removed here (409 signed_attribute). ' +
        'Unverified and anonymous sessions get 403 verification_required: anyone could claim their identity.',
      body: profilePatchSchema,
      responses: { 200: { description: 'The session user', schema: z.object({ user: messengerUserSchema }) } },
      errors: ['invalid_request', 'verification_required', 'signed_attribute', 'payload_too_large', 'unsupported_media_type', ...TOKEN_ERRORS, 'unavailable'],
      handle: async ({ session, body }) => ({ status: 200, body: { user: await profiles.update(session!, body) } }),
    }),
  ]
}
