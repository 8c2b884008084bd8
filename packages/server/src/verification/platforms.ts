/** The three messenger platforms. Each has its own secrets: a web secret never verifies an iOS hash. */
export const PLATFORMS = ['web', 'ios', 'android'] as const
export type Platform = (typeof PLATFORMS)[number]

export function isPlatform(value: unknown): value is Platform {
  return value === 'web' || value === 'ios' || value === 'android'
}
