import type { AppView, SecretView } from '../services/admin-views.js'
import { DIAGNOSIS_ADVICE } from '../diagnosis/diagnosis-advice.js'
import type { FailureView } from '../services/failure-log.js'
import type { Rollout } from '../services/rollout.js'
import { PLATFORMS } from '../verification/platforms.js'

/** Output for people; scripts use --json. */
export function formatApp(app: AppView): string {
  const lines = [`${app.id}  ${app.name}  (${app.environment}, created ${app.created_at})`]
  for (const p of PLATFORMS) {
    const platform = app.platforms[p]
    lines.push(`  ${p.padEnd(8)} ${platform.enforced ? 'ENFORCED' : 'not enforced'}`)
    for (const s of platform.secrets) lines.push(`           secret ${s.id}  created ${s.created_at}  last used ${s.last_used_at ?? 'never'}`)
  }
  return `${lines.join('\n')}\n`
}

export function formatSecret(platform: string, secret: SecretView): string {
  return `${platform.padEnd(8)} ${secret.id}\n         ${secret.value}\n`
}

/** A secret in `secrets list`: what tells whether it is still in use, before revoking it. */
export function formatListedSecret(platform: string, secret: SecretView & { users_this_week: number }): string {
  return (
    `${platform.padEnd(8)} ${secret.id}  created ${secret.created_at}  last used ${secret.last_used_at ?? 'never'}  ` +
    `users this week ${secret.users_this_week}\n         ${secret.value}\n`
  )
}

export function formatForecast(rollout: Rollout): string {
  const { forecast, totals, window_days: days } = rollout
  if (totals.users === 0) return `No identified users seen in the last ${days} days.\n`
  const versions = forecast.app_versions.map((v) => v ?? '(no app_version)').join(', ')
  return (
    `In the last ${days} days: ${totals.users} users, ${totals.verified} verified, ${totals.missing} sent no proof, ${totals.invalid} sent an invalid proof.\n` +
    (forecast.would_be_refused > 0
      ? `Enforcing would refuse ${forecast.would_be_refused} of them, on app versions: ${versions}.\n`
      : 'Enforcing would refuse nobody seen in that window.\n')
  )
}

export function formatRolloutTable(rollout: Rollout): string {
  const width = 30
  const header = `${'app version'.padEnd(16)} ${'users'.padStart(7)} ${'verified'.padStart(9)} ${'missing'.padStart(8)} ${'invalid'.padStart(8)}  share verified`
  const rows = rollout.versions.map((v) => {
    const share = v.users === 0 ? 0 : v.verified / v.users
    const bar = '█'.repeat(Math.round(share * width)).padEnd(width, '·')
    return `${String(v.app_version ?? '(none)').padEnd(16)} ${String(v.users).padStart(7)} ${String(v.verified).padStart(9)} ${String(v.missing).padStart(8)} ${String(v.invalid).padStart(8)}  ${bar} ${Math.round(share * 100)}%`
  })
  const t = rollout.totals
  const total = `${'total'.padEnd(16)} ${String(t.users).padStart(7)} ${String(t.verified).padStart(9)} ${String(t.missing).padStart(8)} ${String(t.invalid).padStart(8)}`
  const secrets = rollout.secrets.map((s) => `  secret ${s.id}: ${s.users} users, last used ${s.last_used_at ?? 'never'}`)
  return [header, ...rows, total, '', 'Secrets:', ...secrets, '', formatForecast(rollout)].join('\n')
}

/** The failure log for a terminal: one line per failure, then what each diagnosis seen means. */
export function formatFailures(failures: readonly FailureView[]): string {
  if (failures.length === 0) return 'No failed proofs recorded.\n'
  const lines = failures.map((f) => {
    const user = f.user_id !== null ? `user ${f.user_id}` : f.email !== null ? `email ${f.email}` : '(no identity)'
    return `${f.at}  ${f.platform.padEnd(7)} ${(f.refused ? 'refused' : 'let in').padEnd(7)}  ${f.diagnosis.padEnd(32)} ${String(f.app_version ?? '-').padEnd(10)} ${user}`
  })
  const seen = [...new Set(failures.map((f) => f.diagnosis))]
  const advice = seen.map((d) => `  ${d}: ${DIAGNOSIS_ADVICE[d].found}\n    ${DIAGNOSIS_ADVICE[d].fix}`)
  return [`${'time'.padEnd(24)}  ${'platform'.padEnd(7)} ${'outcome'.padEnd(7)}  ${'diagnosis'.padEnd(32)} ${'app ver.'.padEnd(10)} user`, ...lines, '', 'What to do:', ...advice, ''].join('\n')
}
