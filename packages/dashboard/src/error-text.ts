import { ApiError } from './api.js'

/** An error in words, with the API's code when the API gave one. */
export function errorText(error: unknown): string {
  return error instanceof ApiError ? error.describe() : String(error)
}
