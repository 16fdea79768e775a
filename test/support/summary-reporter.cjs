// Ends every run with the plain line CI reads: "tests: N passed, N failed".
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const suitesFailed = results.numFailedTestSuites;
    const extra = suitesFailed && !results.numFailedTests ? ` (${suitesFailed} suite(s) failed to run)` : '';
    process.stdout.write(
      `\ntests: ${results.numPassedTests} passed, ${results.numFailedTests + (extra ? suitesFailed : 0)} failed` +
        (skipped ? `, ${skipped} skipped` : '') + `\n` + (extra ? `${extra.trim()}\n` : ''),
    );
  }
}
module.exports = SummaryReporter;
