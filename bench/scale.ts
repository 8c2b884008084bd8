export async function scale(_bench: import('./lib/bench-run.js').BenchRun): Promise<void> { throw new Error('todo') }
