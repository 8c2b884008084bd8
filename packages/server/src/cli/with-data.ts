import { userInfo } from 'node:os'
import { parseStorageConfig } from '../config/server-config.js'
import { AppAdmin } from '../services/app-admin.js'
import { openVerityData, type VerityData } from '../runtime/open-verity-data.js'
import { QueuedWebhookEvents } from '../webhooks/webhook-events.js'
import type { CliIo } from './cli-io.js'

export interface DataOptions {
  dataDir?: string
  databaseUrl?: string
}

export interface CliData {
  readonly data: VerityData
  readonly admin: AppAdmin
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
    // Events of CLI changes are queued like the API's; a running server delivers them.
    const admin = new AppAdmin({ db: data.db, apps: data.apps, onChange: async () => {}, webhookEvents: new QueuedWebhookEvents(data.webhooks) })
    return await run({ data, admin, actor: `cli:${safeUserName()}` })
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
