import type { ProofTester } from '../../services/proof-tester.js'
import { defineRoute, type Route } from '../route.js'
import { proofTestRequestSchema, proofTestResultSchema } from '../schemas/proof-test-schemas.js'

/** The dashboard's "Test a user hash": a verdict without a trace. */
export function adminProofTestRoutes(tester: ProofTester): Route[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/admin/v1/apps/{app_id}/platforms/{platform}/test-proof',
      audience: 'admin',
      action: 'proofs.test',
      tag: 'admin',
      summary: 'Test a user hash or identity token: verified, or the diagnosis and what to do (records nothing)',
      description:
        'Checks the proof as POST /v1/messenger/auth would, against the platform\'s active secrets and public keys, and when it fails names the mistake as the failure log does. ' +
        'It records nothing: no statistics, no failure, no last-used time, no alert, and it does not count towards the failure limit. ' +
        'The diagnosis draws from the same per-app budget as failed proofs, so when that is spent it answers `unknown`. The reply never contains a secret.',
      body: proofTestRequestSchema,
      responses: { 200: { description: 'The verdict', schema: proofTestResultSchema } },
      errors: ['invalid_request', 'unauthorized', 'app_not_found', 'not_found'],
      handle: async ({ params, body }) => ({ status: 200, body: await tester.test(params.app_id, params.platform, body) }),
    }),
  ]
}
