/** The alerts Verity raises; each is also a webhook event of the same name. */
export const ALERT_TYPES = ['verification.failure_spike', 'secret.exposed'] as const
export type AlertType = (typeof ALERT_TYPES)[number]

/** What an admin should do, shown with every alert of the kind. */
export const ALERT_ADVICE = {
  failure_spike:
    'Many proofs on this platform fail at once, usually a deploy that ships the wrong secret, hashes another identifier, or drops the proof. Check the top diagnoses and app versions, then `verity verify` with a failing identifier.',
  secret_sent_by_client:
    'This platform secret was sent by a client, so it ships inside an app and anyone can sign in as anyone. Rotate it now, move the hashing to your server, then revoke the old secret: `verity secrets rotate --app ID --platform P`, then `verity secrets revoke`.',
  leaked_proofs:
    'One device or client address proved many different users: a secret is probably used client-side to sign anyone in. Rotate the platform secret, sign proofs only on your server, then revoke the old secret.',
} as const
export type AlertReason = keyof typeof ALERT_ADVICE
