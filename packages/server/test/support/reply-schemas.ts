// Every reply a test server sends is checked against the response schema its route declares, so
// the OpenAPI document (built from those schemas) cannot drift from what the server answers.
import type { Reply, Route } from '../../src/http/route.js'

/** A reply that its route's declared schema does not describe: the server answers 500 and says why on stderr. */
export function checkReplyAgainstSchema(route: Route, reply: Reply): void {
  if (reply.status === 0) return // streamed: Server-Sent Events or the metrics text
  const declared = route.responses[reply.status]
  const where = `${route.method} ${route.path} answered ${reply.status}`
  if (!declared) return fail(`${where}, a status its route does not declare (responses: ${Object.keys(route.responses).join(', ')})`)
  if (!declared.schema) {
    if (reply.body !== undefined) fail(`${where} with a body, but its route declares none for ${reply.status}`)
    return
  }
  const result = declared.schema.safeParse(reply.body)
  if (!result.success) fail(`${where} with a body its response schema refuses: ${JSON.stringify(result.error.issues.slice(0, 3))}`)
}

function fail(message: string): never {
  process.stderr.write(`reply-schemas: ${message}\n`)
  throw new Error(message)
}
