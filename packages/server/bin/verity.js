#!/usr/bin/env node
import { processIo, runCli } from '../dist/cli/main.js'

const code = await runCli(process.argv.slice(2), processIo())
// Let stdout drain before exiting, so piped JSON is never cut short.
process.exitCode = code
