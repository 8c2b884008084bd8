/** A misconfiguration found at start-up. Its message names the flag and the environment variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** No Verity database where the settings point, for a caller that must not create one (the CLI). */
export class NoDatabaseError extends ConfigError {
  constructor(message: string) {
    super(message)
    this.name = 'NoDatabaseError'
  }
}
