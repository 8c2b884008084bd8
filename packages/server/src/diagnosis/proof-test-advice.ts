import { DIAGNOSIS_ADVICE } from './diagnosis-advice.js'
import type { Diagnosis } from './diagnosis.js'

/** What the proof tester found, before it is put in words. */
export type ProofTestVerdict =
  | { readonly verified: true; readonly proof: 'user_hash' | 'identity_token' }
  | { readonly verified: false; readonly diagnosis: Diagnosis; readonly unreadableToken?: boolean }

/**
 * The tester's advice, in one place. A failure reuses DIAGNOSIS_ADVICE (what the failure log,
 * `verity verify` and docs/troubleshooting.md say), so the tester never words a mistake otherwise;
 * only the cases the messenger path never diagnoses (a pass, no proof typed, a token that is not a
 * JWT) have sentences of their own here.
 */
export function proofTestAdvice(verdict: ProofTestVerdict): string {
  if (verdict.verified) {
    return verdict.proof === 'user_hash'
      ? 'This user hash is valid for this platform: the messenger is let in as this user, verified. Compute it the same way on your server for every user.'
      : 'This identity token is valid for this platform now: the messenger is let in as the user it names, verified. Sign a fresh token at each login.'
  }
  if (verdict.diagnosis === 'no_proof') {
    return 'No user hash or identity token was given, so this user would be unverified (refused once the platform is enforced). Compute the user hash on your server and paste it here.'
  }
  if (verdict.unreadableToken === true) {
    return 'The identity token is not a readable JWT (three base64url parts joined by dots, with a JSON header and payload). Paste the token exactly as your server made it.'
  }
  const advice = DIAGNOSIS_ADVICE[verdict.diagnosis]
  return `${advice.found} What to do: ${advice.fix}`
}
