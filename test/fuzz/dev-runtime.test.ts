import { describe, expect, it } from 'vitest';
import { runFuzz } from './harness.js';
import { seedFromEnv } from './prng.js';

// Issue 10: ≥ 1,000 generated malformed requests and frames against `stagecoach dev`'s runtime on
// the embedded backend, over real HTTP and WebSocket. A failure names its seed and case:
// FUZZ_SEED=<seed> FUZZ_ONLY=<index> npm run fuzz replays it alone. `npm run fuzz` runs more.

const seed = seedFromEnv(20_261_010);
const iterations = 1_200;

describe('stagecoach dev under generated hostile input', () => {
  it(`answers ${iterations} malformed requests and frames (seed ${seed}) without a 5xx, a crash or a stray write, then runs a job`, async () => {
    // Act
    const report = await runFuzz({ seed, iterations });
    // Assess
    const replay = report.violations
      .slice(0, 10)
      .map(
        (v) => `#${v.index} ${v.label}: ${v.problem} (FUZZ_SEED=${seed} FUZZ_ONLY=${v.index} npm run fuzz)`,
      );
    expect(replay).toEqual([]);
    expect(report.cases).toBeGreaterThanOrEqual(1_000);
    expect(Object.keys(report.counts).filter((k) => /^(http|raw) 5\d\d$/.test(k))).toEqual([]);
    expect(report.finalJob).toBe('DONE');
  }, 600_000); // Generous: the run's own waits are bounded by the runtime's timeouts; a busy machine is slow.
});
