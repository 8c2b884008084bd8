import { VerityError } from '../errors/verity-error.js'
import { ConfigError } from '../errors/config-error.js'
import { isStorageUnavailable } from '../storage/storage-errors.js'

/** Exit codes of API.md: 0 yes, 1 the answer is "no", 2 bad usage, 3 any other failure. */
export const EXIT = { ok: 0, no: 1, usage: 2, failure: 3 } as const

export interface CliIo {
  readonly stdout: (text: string) => void
  readonly stderr: (text: string) => void
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** True when a person can answer a question. */
  readonly interactive: boolean
  /** Reads one line from the person, for confirmations. */
  readonly ask: (question: string) => Promise<string>
}

/** Thrown by commands to end with a code; the message goes to stderr, or as JSON under --json. */
export class CliExit extends Error {
  readonly exitCode: number
  readonly code: string
  constructor(exitCode: number, code: string, message: string) {
    super(message)
    this.exitCode = exitCode
    this.code = code
  }
}

export function usageError(message: string): CliExit {
  return new CliExit(EXIT.usage, 'invalid_usage', message)
}

/** Maps any failure to the exit code and code of the contract. */
export function toCliExit(error: unknown): CliExit {
  if (error instanceof CliExit) return error
  if (error instanceof VerityError) {
    return new CliExit(error.code === 'invalid_request' ? EXIT.usage : EXIT.failure, error.code, error.message)
  }
  if (error instanceof ConfigError) return new CliExit(EXIT.failure, 'configuration', error.message)
  if (isStorageUnavailable(error)) return new CliExit(EXIT.failure, 'unavailable', `The database cannot be reached: ${(error as Error).message}`)
  return new CliExit(EXIT.failure, 'internal_error', (error as Error)?.message ?? String(error))
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`)
}
