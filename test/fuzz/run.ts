import { randomInt } from 'node:crypto';
import { runFuzz } from './harness.js';
import { seedFromEnv } from './prng.js';

/**
 * `npm run fuzz`: a longer run of the fuzz suite (FUZZ_ITERATIONS, default 10,000) with a seed from
 * FUZZ_SEED or a fresh one; FUZZ_ONLY=<index> replays one case. Prints the outcomes by status and
 * every violation, and ends with one JSON line; exits 1 when anything was violated.
 */
const seed = seedFromEnv(randomInt(0, 2 ** 32 - 1));
const iterations = Number(process.env.FUZZ_ITERATIONS ?? 10_000);
const onlyRaw = process.env.FUZZ_ONLY;
const only = onlyRaw === undefined || onlyRaw === '' ? undefined : Number(onlyRaw);
if (!Number.isInteger(iterations) || iterations < 1)
  throw new Error('FUZZ_ITERATIONS must be a positive integer');

process.on('uncaughtException', (error) => {
  process.stderr.write(
    `uncaught exception during the fuzz run (seed ${seed}): ${error.stack ?? String(error)}\n`,
  );
  process.exit(2);
});

const started = performance.now();
process.stderr.write(`fuzzing stagecoach dev (memory backend): seed ${seed}, ${iterations} cases\n`);
const report = await runFuzz({
  seed,
  iterations,
  ...(only === undefined ? {} : { only }),
  onProgress: (done) => {
    if (done % 1_000 === 0) process.stderr.write(`  ${done} cases\n`);
  },
});
const seconds = (performance.now() - started) / 1000;
const rows = Object.entries(report.counts).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
process.stdout.write('outcome                         count\n');
for (const [key, n] of rows) process.stdout.write(`${key.padEnd(30)} ${String(n).padStart(6)}\n`);
const serverErrors = rows.filter(([k]) => /^(http|raw) 5\d\d$/.test(k)).reduce((sum, [, n]) => sum + n, 0);
const perSecond = report.cases / seconds;
// The server runs in this process: its peak memory is the run's.
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(
  `${report.cases} cases in ${seconds.toFixed(1)} s (${perSecond.toFixed(0)} cases/s, peak RSS ${peakRssMb} MB): ${serverErrors} 5xx, ${report.violations.length} violation(s), final job ${report.finalJob}\n`,
);
for (const v of report.violations) {
  process.stdout.write(
    `VIOLATION #${v.index} ${v.label}: ${v.problem} (replay: FUZZ_SEED=${seed} FUZZ_ONLY=${v.index} npm run fuzz)\n`,
  );
}
process.stdout.write(
  `${JSON.stringify({
    seed,
    cases: report.cases,
    seconds: Number(seconds.toFixed(1)),
    cases_per_s: Number(perSecond.toFixed(1)),
    peak_rss_mb: peakRssMb,
    counts: report.counts,
    violations: report.violations.length,
    server_errors: serverErrors,
    final_job: report.finalJob,
  })}\n`,
);
process.exit(report.violations.length === 0 && report.finalJob === 'DONE' ? 0 : 1);
