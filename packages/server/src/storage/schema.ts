/**
 * The tables, as Kysely sees them. One schema for SQLite and PostgreSQL: text ids, RFC 3339 text
 * timestamps (they sort as strings), integer 0/1 flags, JSON as text.
 */
export interface MetaTable {
  key: string
  value: string
}

/** One row (id = 1). Every configuration write bumps `revision`; other processes poll it. */
export interface ConfigStateTable {
  id: number
  revision: number
}

export interface AppsTable {
  id: string
  name: string
  environment: string
  created_at: string
  /** The config revision of this app's latest change, so a refresh loads only what changed. */
  revision: number
}

export interface PlatformsTable {
  app_id: string
  platform: string
  enforced: number
  updated_at: string
}

export interface SecretsTable {
  id: string
  app_id: string
  platform: string
  ciphertext: string
  created_at: string
  revoked_at: string | null
  last_used_at: string | null
}

export interface PublicKeysTable {
  id: string
  app_id: string
  platform: string
  /** Set for a JWK; null for a JWKS URL. */
  kid: string | null
  algorithm: string | null
  /** The public JWK as JSON. */
  jwk: string | null
  jwks_url: string | null
  created_at: string
}

export interface SigningKeysTable {
  id: string
  ciphertext: string
  created_at: string
}

export interface AdminKeysTable {
  id: string
  key_hash: string
  label: string
  created_at: string
}

export interface AuditEventsTable {
  id: string
  at: string
  actor: string
  action: string
  app_id: string | null
  platform: string | null
  target: string | null
  details: string | null
  /** The client address of the change; null for the CLI. */
  client: string | null
}

export interface TeammatesTable {
  id: string
  /** Lower-cased: one teammate per address, however it is typed. */
  email: string
  name: string | null
  role: string
  /** scrypt (crypto/password-hash.ts); null until the invite is accepted. */
  password_hash: string | null
  /** Sealed with the master key; set while enabling or enabled. */
  totp_secret: string | null
  totp_enabled: number
  /** The time step of the last accepted code; an older or equal one is refused. */
  totp_last_step: number | null
  created_at: string
  last_sign_in_at: string | null
}

export interface TeammateInvitesTable {
  token_hash: string
  teammate_id: string
  created_at: string
  expires_at: string
  used_at: string | null
}

export interface TeammateSessionsTable {
  id: string
  token_hash: string
  teammate_id: string
  csrf_token: string
  created_at: string
  last_seen_at: string
  /** The absolute end (VERITY_SESSION_MAX_DAYS); the idle end follows from last_seen_at. */
  expires_at: string
  confirmed_until: string | null
  ip: string
  user_agent: string | null
}

export interface ApiTokensTable {
  id: string
  token_hash: string
  teammate_id: string
  name: string
  role: string
  created_at: string
  expires_at: string | null
  last_used_at: string | null
}

export interface RecoveryCodesTable {
  code_hash: string
  teammate_id: string
  used_at: string | null
}

export interface RetiredAdminKeysTable {
  key_hash: string
  retired_at: string
}

export interface UserAttemptsTable {
  app_id: string
  platform: string
  /** A digest of the namespaced identity: compact, and no raw identifiers in the statistics. */
  user_key: string
  last_at: string
  outcome: string
  app_version: string | null
  sdk_version: string | null
  secret_id: string | null
  /** The latest valid proof (null if none): it outlives later unproven attempts (services/rollout.ts). */
  proven_at: string | null
  proven_app_version: string | null
  proven_secret_id: string | null
}

/** Counts of users per day, series, version (or secret) and outcome: storage/statistics-counts.ts. */
export interface RolloutCountsTable {
  app_id: string
  platform: string
  series: string
  day: string
  key: string
  outcome: string
  users: number
  last_seen_at: string | null
}

export interface FailuresTable {
  id: string
  app_id: string
  platform: string
  at: string
  user_id: string | null
  email: string | null
  app_version: string | null
  refused: number
  code: string
  diagnosis: string
}

/** Who may read a conversation follows from trust, user_key and device_id (authorization/). */
export interface ConversationsTable {
  id: string
  app_id: string
  created_at: string
  trust: string
  /** The namespaced identity (`uid:<id>` or `email:<email>`); null for anonymous visitors. */
  user_key: string | null
  user_id: string | null
  email: string | null
  /** 1 when the session proved the email (hashed alone, or signed); 0 when it only claimed it. */
  email_verified: number
  /** The device of an unverified or anonymous session; null when verified. */
  device_id: string | null
  platform: string
  last_message_at: string
}

export interface MessagesTable {
  id: string
  conversation_id: string
  app_id: string
  author: string
  body: string
  created_at: string
}

/** Verified users' profiles. `version` guards read-modify-write without dialect-specific locks. */
export interface UsersTable {
  app_id: string
  user_key: string
  user_id: string | null
  email: string | null
  /** 1 when the latest session that wrote the row proved the email; 0 when it only claimed it. */
  email_verified: number
  name: string | null
  /** JSON object: attributes set from the messenger. */
  attributes: string
  /** JSON object: attributes an identity token signed (the latest token wins). */
  signed_attributes: string
  signed_at: string | null
  version: number
  updated_at: string
}

/** PostgreSQL only (UNLOGGED): the failure limit shared by every instance. */
export interface FailureLimitsTable {
  /** A digest of app, platform and namespaced identity. */
  key: string
  /** Epoch milliseconds (database clock) of the refusals counted within the window, oldest first. */
  times: string[]
  /** Whether the latest attempt was counted (401) or found the limit reached (429). */
  counted: boolean
  /** When the newest counted refusal leaves the window: the row may go. */
  expires_at: string
}

/** Users signed out everywhere (migration 0006): their tokens issued before the time are refused. */
export interface SignOutsTable {
  app_id: string
  /** The statistics' digest of the namespaced identity (services/auth-event-buffer.ts userKey). */
  user_key: string
  signed_out_before: string
  /** The configuration revision that recorded it: instances load what changed since theirs. */
  revision: number
}

export interface WebhooksTable {
  id: string
  url: string
  /** JSON array of event types. */
  events: string
  ciphertext: string
  previous_ciphertext: string | null
  previous_until: string | null
  created_at: string
}

/** One event for one webhook: the queue (status pending) and the delivery log in one row. */
export interface WebhookDeliveriesTable {
  id: string
  webhook_id: string
  event_type: string
  payload: string
  /** pending, delivered or failed. */
  status: string
  attempts: number
  next_attempt_at: string | null
  lease_until: string | null
  last_response_status: number | null
  last_error: string | null
  /** JSON array of { at, status, error } for each attempt, newest last. */
  attempt_log: string
  created_at: string
  updated_at: string
}

/** One alert for admins (failure spike, exposed secret); never a secret value in `details`. */
export interface AlertsTable {
  id: string
  type: string
  app_id: string
  platform: string
  created_at: string
  /** JSON object. */
  details: string
  /** Set for alerts raised once ever (an exposed secret: its id); unique. */
  once_key: string | null
}

export interface Database {
  alerts: AlertsTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  user_attempts: UserAttemptsTable
  rollout_counts: RolloutCountsTable
  failures: FailuresTable
  meta: MetaTable
  config_state: ConfigStateTable
  apps: AppsTable
  platforms: PlatformsTable
  secrets: SecretsTable
  signing_keys: SigningKeysTable
  public_keys: PublicKeysTable
  admin_keys: AdminKeysTable
  audit_events: AuditEventsTable
  conversations: ConversationsTable
  messages: MessagesTable
  users: UsersTable
  failure_limits: FailureLimitsTable
  sign_outs: SignOutsTable
  teammates: TeammatesTable
  teammate_invites: TeammateInvitesTable
  teammate_sessions: TeammateSessionsTable
  api_tokens: ApiTokensTable
  recovery_codes: RecoveryCodesTable
  retired_admin_keys: RetiredAdminKeysTable
}
