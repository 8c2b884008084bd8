import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { ConfigError } from '../errors/config-error.js'

export const MASTER_KEY_FILE = 'master.key'

/**
 * The key that encrypts secrets at rest: VERITY_MASTER_KEY when set, else a key file in the data
 * folder, created on first start with mode 0600. Whether the key opens existing data is checked
 * later, against the database.
 */
export function loadMasterKey(
  configured: Buffer | null,
  dataDir: string,
  options: { mayCreate: boolean } = { mayCreate: true },
): { key: Buffer; source: string } {
  if (configured) return { key: configured, source: 'VERITY_MASTER_KEY' }
  const path = join(dataDir, MASTER_KEY_FILE)
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim()
    if (!/^[0-9a-fA-F]{64}$/.test(text)) {
      throw new ConfigError(`The master key file ${path} is damaged: it must hold 64 hex characters. Restore it, or set VERITY_MASTER_KEY.`)
    }
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new ConfigError(`The master key file ${path} can be read by other users. Run: chmod 600 ${path}`)
    }
    return { key: Buffer.from(text, 'hex'), source: path }
  }
  if (!options.mayCreate) {
    throw new ConfigError(
      `This database already holds encrypted secrets, but there is no master key: neither VERITY_MASTER_KEY nor ${path}. ` +
        'Set VERITY_MASTER_KEY to the key the data was created with, or restore the key file. A new key would not open the secrets.',
    )
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const key = randomBytes(32)
  // 'wx' fails if another process created the file in between; then we read theirs.
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadMasterKey(null, dataDir, options)
    throw error
  }
  return { key, source: path }
}
