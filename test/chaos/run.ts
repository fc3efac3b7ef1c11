/**
 * npm run chaos — the fault-injection sweep on the embedded backend: every scenario once without
 * faults, then once per counted port call and fault kind (error, lost reply, worker crash); the
 * invariants are checked once the system has healed. Then the soak: many jobs through four stages
 * with random faults and duplicate deliveries.
 *
 *   npm run chaos                          the whole sweep, then the soak (10,000 jobs)
 *   npm run chaos -- --stride 3            every third call index
 *   npm run chaos -- --scenario replay     one scenario
 *   npm run chaos -- --soak 2000           a shorter soak; --soak 0 skips it
 *
 * Prints one line per failed run and per scenario, and last a JSON line:
 * {"scenarios":…,"fault_points":…,"lost":0,"duplicated":0,"stuck":0,"false_dead_letters":0,…}
 */
import { parseArgs } from 'node:util';
import { soak } from './soak.js';
import { type RunResult, sweep } from './sweep.js';

const { values } = parseArgs({
  options: {
    stride: { type: 'string', default: '1' },
    scenario: { type: 'string', multiple: true },
    soak: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
  },
});

async function main(): Promise<void> {
  const started = Date.now();
  let current = '';
  let runs = 0;
  const onRun = (r: RunResult): void => {
    runs++;
    if (r.scenario !== current) {
      current = r.scenario;
      process.stdout.write(`${r.scenario}: ${r.calls.length} counted calls without faults\n`);
    }
    const bad = r.verdict.details;
    if (bad.length > 0) process.stdout.write(`  FAIL ${r.fired ?? 'no fault'}: ${bad.join('; ')}\n`);
  };
  const report = await sweep({
    stride: Number(values.stride),
    ...(values.scenario === undefined ? {} : { scenarios: values.scenario }),
    onRun,
  });
  const sweepS = (Date.now() - started) / 1000;
  process.stdout.write(
    `sweep: ${report.scenarios} scenarios, ${report.fault_points} fault points (${report.fired} fired), ${runs} runs in ${sweepS.toFixed(0)} s\n`,
  );
  const jobs = Number(values.soak);
  const soaked =
    jobs > 0
      ? await soak({
          jobs,
          seed: Number(values.seed),
          onProgress: (line) => process.stdout.write(`${line}\n`),
        })
      : undefined;
  const { failures: _failures, ...totals } = report;
  const line = {
    ...totals,
    lost: totals.lost + (soaked?.lost ?? 0),
    duplicated: totals.duplicated + (soaked?.duplicated ?? 0),
    stuck: totals.stuck + (soaked?.stuck ?? 0),
    false_dead_letters: totals.false_dead_letters + (soaked?.false_dead_letters ?? 0),
    ...(soaked === undefined ? {} : { soak: soaked }),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
  const bad =
    line.lost +
    line.duplicated +
    line.stuck +
    line.false_dead_letters +
    line.events_missing +
    line.log_disorder;
  process.exitCode = bad === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
