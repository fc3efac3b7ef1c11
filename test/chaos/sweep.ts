import { FAULT_KINDS, type FaultKind, type FaultPoint } from './faults.js';
import { judge, SCENARIOS, type Scenario, type Verdict } from './scenarios.js';
import { World } from './world.js';

/** One run: a scenario with at most one fault, healed, then judged. */
export async function runOnce(scenario: Scenario, point: FaultPoint | undefined): Promise<RunResult> {
  const world = await new World(
    point,
    scenario.limits === undefined ? {} : { limits: scenario.limits },
  ).start();
  try {
    const expected = await scenario.run(world);
    const unsettled = await world.settle(expected);
    const verdict = await judge(world, expected, unsettled);
    return { scenario: scenario.name, point, fired: world.fired[0], calls: world.calls, verdict };
  } finally {
    await world.stop();
  }
}

export interface RunResult {
  readonly scenario: string;
  readonly point: FaultPoint | undefined;
  readonly fired: string | undefined;
  readonly calls: readonly string[];
  readonly verdict: Verdict;
}

export interface SweepOptions {
  readonly scenarios?: readonly string[];
  readonly kinds?: readonly FaultKind[];
  /** Every `stride`-th call index (1: every one). @default 1 */
  readonly stride?: number;
  readonly onRun?: (result: RunResult) => void;
}

export interface SweepReport {
  readonly scenarios: number;
  readonly fault_points: number;
  readonly fired: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly stuck: number;
  readonly false_dead_letters: number;
  readonly events_missing: number;
  readonly log_disorder: number;
  readonly failures: readonly RunResult[];
}

const BAD = ['lost', 'duplicated', 'stuck', 'false_dead_letters', 'events_missing', 'log_disorder'] as const;

/**
 * Runs each scenario once without faults to count its calls, then once per call index and fault
 * kind, and adds up what broke.
 */
export async function sweep(options: SweepOptions = {}): Promise<SweepReport> {
  const chosen = SCENARIOS.filter(
    (s) => options.scenarios === undefined || options.scenarios.includes(s.name),
  );
  const totals = Object.fromEntries(BAD.map((k) => [k, 0])) as Record<(typeof BAD)[number], number>;
  const failures: RunResult[] = [];
  let points = 0;
  let fired = 0;
  const record = (result: RunResult): void => {
    options.onRun?.(result);
    if (result.point !== undefined) points++;
    if (result.fired !== undefined) fired++;
    if (BAD.some((k) => result.verdict[k] > 0)) failures.push(result);
    for (const k of BAD) totals[k] += result.verdict[k];
  };
  for (const scenario of chosen) {
    const clean = await runOnce(scenario, undefined);
    record(clean);
    const n = clean.calls.length;
    for (const kind of options.kinds ?? FAULT_KINDS) {
      for (let at = 1; at <= n; at += options.stride ?? 1) record(await runOnce(scenario, { at, kind }));
    }
  }
  return { scenarios: chosen.length, fault_points: points, fired, ...totals, failures };
}
