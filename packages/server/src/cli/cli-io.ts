import { VerityError } from '../errors/verity-error.js'
import { ConfigError, NoDatabaseError } from '../errors/config-error.js'
import { CLI_ERROR_CATALOGUE, type CliErrorCode, type ErrorCode } from '../errors/error-catalogue.js'
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
  /** Reads all of stdin (--password-stdin). */
  readonly readStdin?: () => Promise<string>
}

/** Thrown by commands to end with a code; the message goes to stderr, or as JSON under --json. */
export class CliExit extends Error {
  readonly exitCode: number
  readonly code: CliErrorCode | ErrorCode
  constructor(exitCode: number, code: CliErrorCode | ErrorCode, message: string) {
    super(message)
    this.exitCode = exitCode
    this.code = code
  }
}

/** An end with a code of the CLI's own catalogue, and its exit code. */
export function cliError(code: CliErrorCode, message: string = CLI_ERROR_CATALOGUE[code].message): CliExit {
  return new CliExit(CLI_ERROR_CATALOGUE[code].exit, code, message)
}

export function usageError(message: string): CliExit {
  return cliError('invalid_usage', message)
}

/** Maps any failure to the exit code and code of the contract. */
export function toCliExit(error: unknown): CliExit {
  if (error instanceof CliExit) return error
  if (error instanceof VerityError) {
    return new CliExit(error.code === 'invalid_request' ? EXIT.usage : EXIT.failure, error.code, error.message)
  }
  if (error instanceof NoDatabaseError) return cliError('no_database', error.message)
  if (error instanceof ConfigError) return cliError('configuration', error.message)
  if (isStorageUnavailable(error)) return new CliExit(EXIT.failure, 'unavailable', `The database cannot be reached: ${(error as Error).message}`)
  return new CliExit(EXIT.failure, 'internal_error', (error as Error)?.message ?? String(error))
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`)
}
