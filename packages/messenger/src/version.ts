/** The SDK's version, sent to Verity as `sdk_version` for the rollout statistics. */
export const SDK_VERSION = '0.1.0'
