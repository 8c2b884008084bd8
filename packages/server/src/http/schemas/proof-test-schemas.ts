import { z } from 'zod'
import { DIAGNOSES } from '../../diagnosis/diagnosis.js'
import { authRequestSchema } from './messenger-schemas.js'

const auth = authRequestSchema.shape

/** The proof fields of POST /v1/messenger/auth, with the same bounds, and nothing else. */
export const proofTestRequestSchema = z
  .strictObject({
    user_id: auth.user_id,
    email: auth.email,
    user_hash: auth.user_hash,
    identity_token: auth.identity_token,
  })
  .meta({ id: 'ProofTestRequest' })

export const proofTestResultSchema = z
  .object({
    verified: z.boolean(),
    diagnosis: z.enum(DIAGNOSES).nullable().meta({ description: 'What Verity found when the proof does not verify (see docs/troubleshooting.md); null when it verifies.' }),
    advice: z.string().meta({ description: 'What to do, in words (the same advice as `verity verify` and docs/troubleshooting.md).' }),
  })
  .meta({ id: 'ProofTestResult' })
