// Runs one database's bulk load off the benchmark's main thread (seed-statistics.ts
// seedStatisticsInWorker): the SQLite loader is synchronous and would otherwise stall every other
// database's connections for minutes.
import { parentPort, workerData } from 'node:worker_threads'
import { seedStatistics, type SeedJob } from './seed-statistics.js'

const job = workerData as SeedJob
const seconds = await seedStatistics(job.location, job.target, job.from, job.order, (done) => parentPort!.postMessage({ done }))
parentPort!.postMessage({ seconds })
