import { spawn, type ChildProcess } from 'node:child_process'
import { VERITY_BIN } from './run-cli.js'

export interface Spawned {
  child: ChildProcess
  url: string
  stderr: () => string
  exited: Promise<number | null>
}

/**
 * `verity serve` as a user runs it: a real process, its URL read from its own log line.
 * `nodeOptions` go to node itself (such as a heap cap).
 */
export async function spawnServe(dataDir: string, env: Record<string, string> = {}, nodeOptions: readonly string[] = []): Promise<Spawned> {
  const child = spawn(process.execPath, [...nodeOptions, VERITY_BIN, 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH ?? '', VERITY_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.includes('verity is listening'))
      if (line) resolve(JSON.parse(line).url)
    })
    child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)))
  })
  return { child, url, stderr: () => stderr, exited }
}
