// The server's longest event-loop stall, from its own /metrics: the server samples the loop's
// delay with perf_hooks.monitorEventLoopDelay, and each scrape reports the longest delay since the
// previous scrape (verity_event_loop_delay_seconds{quantile="1"}), then starts over.

/** The longest event-loop delay, and on SQLite the longest storage call, since the previous scrape (ms). */
export interface Stalls {
  readonly loopMs: number | null
  /** verity_storage_call_max_seconds: SQLite answers on the loop; null on PostgreSQL. */
  readonly storageMs: number | null
}

async function scrape(port: number): Promise<Stalls> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const loop = /^verity_event_loop_delay_seconds\{quantile="1"\} (\S+)$/m.exec(text)
  const storage = /^verity_storage_call_max_seconds (\S+)$/m.exec(text)
  return { loopMs: loop ? Number(loop[1]) * 1000 : null, storageMs: storage ? Number(storage[1]) * 1000 : null }
}

/** Starts a measurement: forgets the stalls before now. */
export async function startStallWatch(port: number): Promise<void> {
  await scrape(port)
}

/** The longest stalls since startStallWatch or the previous call; they start over. */
export function longestStalls(port: number): Promise<Stalls> {
  return scrape(port)
}

/** The longest event-loop stall since startStallWatch (ms); it starts over. */
export async function longestStallMs(port: number): Promise<number | null> {
  return (await scrape(port)).loopMs
}

/** Heap in use (MiB) from the same /metrics, to tell heap growth from RSS noise. */
export async function heapMiB(port: number): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const m = /^nodejs_heap_used_bytes (\S+)$/m.exec(text)
  return m ? Math.round((Number(m[1]) / 1048576) * 10) / 10 : null
}
