import { createInterface } from 'node:readline/promises'
import { Command, CommanderError } from 'commander'
import { VERSION } from '../runtime/version.js'
import { EXIT, toCliExit, type CliIo } from './cli-io.js'
import { appsCommand } from './commands/apps-command.js'
import { backupCommand, restoreCommand } from './commands/backup-commands.js'
import { enforceCommand } from './commands/enforce-command.js'
import { failuresCommand } from './commands/failures-command.js'
import { hashCommand } from './commands/hash-command.js'
import { rolloutCommand } from './commands/rollout-command.js'
import { keysCommand, migrateCommand } from './commands/maintenance-commands.js'
import { secretsCommand } from './commands/secrets-command.js'
import { serveCommand } from './commands/serve-command.js'
import { usersCommand } from './commands/users-command.js'
import { verifyCommand } from './commands/verify-command.js'
import { teammatesCommand } from './commands/teammates-command.js'
import { adminKeyCommand } from './commands/admin-key-command.js'

export function buildProgram(io: CliIo): Command {
  const program = new Command('verity')
    .description('Verity: identity verification for in-app messengers')
    .version(VERSION)
    .showHelpAfterError('(add --help for usage)')
  for (const command of [serveCommand(io), migrateCommand(io), keysCommand(io), hashCommand(io), appsCommand(io), secretsCommand(io), enforceCommand(io), verifyCommand(io), rolloutCommand(io), failuresCommand(io), usersCommand(io), backupCommand(io), restoreCommand(io), teammatesCommand(io), adminKeyCommand(io)]) {
    program.addCommand(command)
  }
  return program
}

/** Runs the CLI and returns its exit code; the bin and the tests both call this. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json')
  const program = buildProgram(io)
  const configure = (command: Command): void => {
    command.exitOverride()
    command.configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Under --json, usage errors become the JSON error document below instead.
      outputError: (text, write) => {
        if (!json) write(text)
      },
    })
    command.commands.forEach(configure)
  }
  configure(program)
  try {
    await program.parseAsync(argv as string[], { from: 'user' })
    return EXIT.ok
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok
      if (json) io.stdout(`${JSON.stringify({ error: { code: 'invalid_usage', message: error.message.replace(/^error: /, '') } })}\n`)
      return EXIT.usage
    }
    const exit = toCliExit(error)
    if (json && exit.exitCode !== EXIT.no) io.stdout(`${JSON.stringify({ error: { code: exit.code, message: exit.message } })}\n`)
    else io.stderr(`${exit.message}\n`)
    return exit.exitCode
  }
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    readStdin: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    },
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      try {
        return await rl.question(question)
      } finally {
        rl.close()
      }
    },
  }
}
