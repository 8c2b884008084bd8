// The server's longest event-loop stall, from its own /metrics: the server samples the loop's
// delay with perf_hooks.monitorEventLoopDelay, and each scrape reports the longest delay since the
// previous scrape (verity_event_loop_delay_seconds{quantile="1"}), then starts over.

async function scrapeMaxMs(port: number): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const m = /^verity_event_loop_delay_seconds\{quantile="1"\} (\S+)$/m.exec(text)
  return m ? Number(m[1]) * 1000 : null
}

/** Starts a measurement: forgets the stalls before now. */
export async function startStallWatch(port: number): Promise<void> {
  await scrapeMaxMs(port)
}

/** The longest stall since startStallWatch (ms); it starts over. */
export function longestStallMs(port: number): Promise<number | null> {
  return scrapeMaxMs(port)
}

/** Heap in use (MiB) from the same /metrics, to tell heap growth from RSS noise. */
export async function heapMiB(port: number): Promise<number | null> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const m = /^nodejs_heap_used_bytes (\S+)$/m.exec(text)
  return m ? Math.round((Number(m[1]) / 1048576) * 10) / 10 : null
}
