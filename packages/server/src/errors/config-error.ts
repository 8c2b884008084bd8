/** A misconfiguration found at start-up. Its message names the flag and the environment variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}
