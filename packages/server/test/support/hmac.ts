import { createHmac } from 'node:crypto'

/** An independent user hash for tests: written here, not imported from the code under test. */
export const hmacHex = (secret: string, message: string): string => createHmac('sha256', secret).update(message, 'utf8').digest('hex')
