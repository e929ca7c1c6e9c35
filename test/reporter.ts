import type { Reporter, TestModule } from 'vitest/node';

/** Closes the run with one plain line, `N passed, N failed[, N skipped]`, that any CI can read. */
export default class PlainSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>) {
    const n = { passed: 0, failed: 0, skipped: 0 };
    for (const m of modules) {
      const before = n.failed;
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        n[state == 'passed' ? 'passed' : state == 'failed' ? 'failed' : 'skipped']++;
      }
      // A file that failed to load (a syntax error, a failing hook) has no failed test to count.
      if (m.state() == 'failed' && n.failed == before) n.failed++;
    }
    console.log(`${n.passed} passed, ${n.failed} failed` + (n.skipped ? `, ${n.skipped} skipped` : ''));
  }
}
