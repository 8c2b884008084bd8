import type { Server } from 'node:http'
import type { Socket } from 'node:net'

export interface ConnectionDrain {
  /** Ends every connection with no request in flight now, and each other one as its last request finishes. */
  drain(): void
}

/**
 * Counts the requests in flight on each connection of `server`. Node's closeIdleConnections() only
 * reaches connections idle at the moment it is called: a socket that never sent a request, or one
 * whose response ends afterwards (a live stream ended on shutdown, a stream the client cancelled),
 * would otherwise keep shutdown waiting for the whole grace period.
 */
export function trackConnections(server: Server): ConnectionDrain {
  const inFlight = new Map<Socket, number>()
  let draining = false
  server.on('connection', (socket: Socket) => {
    inFlight.set(socket, 0)
    socket.once('close', () => inFlight.delete(socket))
  })
  server.on('request', (req, res) => {
    const socket = req.socket
    if (!inFlight.has(socket)) return
    inFlight.set(socket, inFlight.get(socket)! + 1)
    res.once('close', () => {
      const count = inFlight.get(socket)
      if (count === undefined) return
      inFlight.set(socket, count - 1)
      // destroySoon: the response already written still reaches the client, then the socket closes.
      if (draining && count === 1) socket.destroySoon()
    })
  })
  return {
    drain() {
      draining = true
      for (const [socket, count] of inFlight) if (count === 0) socket.destroySoon()
    },
  }
}
