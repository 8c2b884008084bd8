// CI reads a plain "N passed, N failed" closing line; vitest's own summary is not on its list.
// A file whose set-up fails (beforeAll, import) runs none of its tests: that counts as a failure
// here too, as do unhandled errors, so the line never says "0 failed" over a red run.
import type { Reporter, SerializedError, TestModule } from 'vitest/node'

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0
    let failed = 0
    let skipped = 0
    for (const mod of testModules) {
      let failedHere = 0
      for (const test of mod.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') passed++
        else if (state === 'failed') failedHere++
        else skipped++
      }
      const suiteFailures = [...mod.children.allSuites()].filter((s) => s.state() === 'failed' && s.errors().length > 0).length
      if (failedHere === 0 && (mod.state() === 'failed' || mod.errors().length > 0)) failedHere = Math.max(1, suiteFailures)
      failed += failedHere
    }
    failed += unhandledErrors.length
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`)
  }
}
