/** The lines logged at error or fatal (the product's logger writes level labels, not numbers). */
export function errorLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    const { level } = JSON.parse(line) as { level?: unknown }
    return level === 'error' || level === 'fatal'
  })
}
