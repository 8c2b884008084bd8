/**
 * The API's JSON with snake_case keys turned camelCase, deeply (`created_at` → `createdAt`), so that
 * conversations and messages read like the rest of the SDK and fields the server adds later come
 * through too.
 */
export function toCamelCase(value: unknown): any {
  if (Array.isArray(value)) return value.map(toCamelCase)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = toCamelCase(item)
  return out
}
