import { describe, expect, it } from 'vitest';
import { SCENARIOS } from './scenarios.js';
import { soak } from './soak.js';
import { sweep } from './sweep.js';

// The fault-injection sweep at a size for every test run: each scenario, every fifth call index,
// each fault kind. `npm run chaos` sweeps every index and adds the soak.
describe('fault injection (embedded backend)', () => {
  // One test per scenario: each reports on its own, and a hang guard sized for a busy machine
  // (a scenario's runs take about a second each; the guard is not a speed check).
  it.each(SCENARIOS.map((s) => s.name))(
    '%s: loses, duplicates, strands and falsely dead-letters nothing, whatever call fails',
    async (name) => {
      // Act
      const report = await sweep({ stride: 5, scenarios: [name] });
      // Assess
      const broken = report.failures.map(
        (f) => `${f.scenario} / ${f.fired ?? 'no fault'}: ${f.verdict.details.join('; ')}`,
      );
      expect(broken).toEqual([]);
      expect(report.scenarios).toBe(1);
      expect(report.fault_points).toBeGreaterThan(3 * 4);
      expect(report.fired).toBeGreaterThan(report.fault_points / 2);
    },
    600_000,
  );

  it('soaks 500 four-stage jobs through random faults, crashes and duplicates without a loss', async () => {
    // Act
    const report = await soak({ jobs: 500, seed: 7, crashRate: 0.002 });
    // Assess
    expect(report).toMatchObject({
      lost: 0,
      duplicated: 0,
      stuck: 0,
      false_dead_letters: 0,
      events_missing: 0,
      log_disorder: 0,
    });
    expect(report.faults).toBeGreaterThan(20);
    expect(report.crashes).toBeGreaterThan(0);
  });
});
