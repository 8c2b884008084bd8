// Verity's own storage layer and services, from the built dist (npm run build), typed by its
// declarations: the benchmark seeds data the way `verity apps create` does.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from './processes.js'

const dist = (path: string): string => pathToFileURL(join(ROOT, 'packages/server/dist', path)).href

export const openVerityDataModule = (): Promise<typeof import('../../packages/server/dist/runtime/open-verity-data.js')> => import(dist('runtime/open-verity-data.js'))
export const appAdminModule = (): Promise<typeof import('../../packages/server/dist/runtime/open-app-admin.js')> => import(dist('runtime/open-app-admin.js'))
export const serverConfigModule = (): Promise<typeof import('../../packages/server/dist/config/server-config.js')> => import(dist('config/server-config.js'))
export const seedStatisticsModule = (): Promise<typeof import('../../packages/server/dist/storage/seed-statistics.js')> => import(dist('storage/seed-statistics.js'))
export const userDigestModule = (): Promise<typeof import('../../packages/server/dist/verification/user-digest.js')> => import(dist('verification/user-digest.js'))
