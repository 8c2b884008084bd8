import { userInfo } from 'node:os'
import { parseStorageConfig } from '../config/server-config.js'
import { AppAdmin } from '../services/app-admin.js'
import { UserLifecycle } from '../services/user-lifecycle.js'
import { openVerityData, type VerityData } from '../runtime/open-verity-data.js'
import { StatisticsRepository } from '../storage/statistics-repository.js'
import { QueuedWebhookEvents } from '../webhooks/webhook-events.js'
import type { CliIo } from './cli-io.js'

export interface DataOptions {
  dataDir?: string
  databaseUrl?: string
}

export interface CliData {
  readonly data: VerityData
  readonly admin: AppAdmin
  readonly users: UserLifecycle
  readonly actor: string
}

/**
 * Opens the same data a running server uses. Writes bump the configuration revision, so a server
 * on the same data picks them up within 2 s.
 */
export async function withData<T>(options: DataOptions, io: CliIo, run: (ctx: CliData) => Promise<T>): Promise<T> {
  const config = parseStorageConfig(options, io.env, io.cwd)
  // Never a new database: a command run from another folder would otherwise start an empty one.
  const data = await openVerityData(config, { mayCreate: false })
  try {
    // A running server learns of the change by its revision poll (NOTIFY on PostgreSQL); events of
    // CLI changes are queued like the API's, and a running server delivers them.
    const onChange = async (): Promise<void> => {}
    const webhookEvents = new QueuedWebhookEvents(data.webhooks)
    const admin = new AppAdmin({ db: data.db, apps: data.apps, onChange, lateSweep: 'await', webhookEvents })
    const users = new UserLifecycle({ db: data.db, apps: data.apps, statistics: new StatisticsRepository(data.db), onChange, lateSweep: 'await', webhookEvents })
    return await run({ data, admin, users, actor: `cli:${safeUserName()}` })
  } finally {
    await data.close()
  }
}

function safeUserName(): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}
