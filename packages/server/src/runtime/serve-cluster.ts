import cluster from 'node:cluster'

/**
 * `verity serve --workers N`: N processes (node:cluster) serve one port; the primary only
 * supervises. Each worker runs the whole server with its own in-memory configuration, so the
 * workers are kept in step through the primary:
 *
 *  - a configuration write made through one worker (admin API) is answered only once every other
 *    worker has applied it, so the next request sees it whichever worker takes it; writes from the
 *    CLI or other instances arrive as before (revision poll, or NOTIFY on PostgreSQL), in every worker;
 *  - on SQLite the primary holds the failure limit's count and every worker asks it, so the limit
 *    (429) is exact per identifier across workers, not per worker (on PostgreSQL they share a
 *    table, as instances do);
 *  - the primary prepares the data (migrations, master key file, signing key, the first admin key
 *    and its one-time banner) before forking, so workers never race to make them.
 *
 * The default stays 1 worker (config: --workers / VERITY_WORKERS), though the issue suggested one
 * per core: a single process keeps the contract exact with nothing to coordinate, a container's
 * CPU quota is often below the core count that os.availableParallelism() reports, and every worker
 * adds its own memory, database connections (PostgreSQL: pool + LISTEN per worker) and statistics
 * writer. Ask for workers explicitly where the cores are really yours.
 */

export { runClusterPrimary } from './cluster-primary.js'
export { runClusterWorker } from './cluster-worker.js'
export type { ClusterOptions } from './cluster-messages.js'

export function isClusterWorker(): boolean {
  return cluster.isWorker
}
