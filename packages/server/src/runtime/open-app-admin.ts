import { AppAdmin, type AppAdminDeps } from '../services/app-admin.js'
import { computeRollout } from '../services/rollout.js'
import { StatisticsRepository } from '../storage/statistics-repository.js'
import type { VerityData } from './open-verity-data.js'

/** The app administration over this data, for the server and the CLI alike. */
export function openAppAdmin(data: VerityData, deps: Omit<AppAdminDeps, 'changes' | 'apps' | 'rollout'>): AppAdmin {
  return new AppAdmin({
    ...deps,
    changes: data.changes,
    apps: data.apps,
    rollout: (app, platform, days, now) => computeRollout(new StatisticsRepository(data.db), app, platform, days, now),
  })
}
