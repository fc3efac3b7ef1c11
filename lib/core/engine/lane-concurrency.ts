/**
 * Priority lanes on Lambda. Each lane of a stage is its own SQS queue with its own event source,
 * and Lambda polls every event source on its own: nothing polls "higher lanes first". What Lambda
 * does offer is a maximum concurrency per event source, so the stage's concurrency is split over
 * its lanes by weight — each lane twice the weight of the lane below it. Under contention (every
 * lane has a backlog) lane `l` runs `share(l)` of the stage's invocations, so a higher lane drains
 * faster; and because every lane keeps at least the event source minimum (2), no lane starves: a
 * message at depth `k` of lane `l` starts within ⌈k / (max_l × batchSize)⌉ batch durations (plus
 * the batching window), however deep the other lanes are.
 *
 * The price: the split is not work-conserving. A lane uses at most its own maximum even when the
 * other lanes are idle, so a stage whose traffic is all in one lane runs at that lane's share of
 * `concurrency`. Raise `concurrency` to give a lane alone more room.
 *
 * It lives in the core, free of AWS, because two places apply it: the stack (lib/infra/lambda-stage.ts)
 * and the dev runtime, which plays one event source per lane with the same maxima
 * (lib/dev/lane-sources.ts) so that `stagecoach dev` schedules lanes as Lambda does.
 */

/** The lowest maximum concurrency an SQS event source accepts, and the highest. */
export const EVENT_SOURCE_MIN_CONCURRENCY = 2;
export const EVENT_SOURCE_MAX_CONCURRENCY = 1_000;

/** A lane's weight relative to the lane below it. */
export const LANE_WEIGHT_RATIO = 2;

/**
 * The maximum concurrency of each lane's event source, lowest lane first: `total` split in the
 * ratio 1 : 2 : 4 …, each part between 2 and 1000 (a lane whose share falls outside is held at the
 * bound and the rest is split again), rounded by largest remainder so the parts add up to `total`.
 * When `total` is below 2 per lane the lanes get 2 each (the event source minimum), which adds up
 * to more than `total` and gives every lane the same share.
 */
export function laneConcurrency(total: number, lanes: number): number[] {
  if (!Number.isInteger(lanes) || lanes < 1)
    throw new RangeError(`lanes ${lanes} must be a whole number ≥ 1`);
  if (!Number.isInteger(total) || total < 1)
    throw new RangeError(`total ${total} must be a whole number ≥ 1`);
  const low = EVENT_SOURCE_MIN_CONCURRENCY;
  const high = EVENT_SOURCE_MAX_CONCURRENCY;
  if (total <= low * lanes) return Array.from({ length: lanes }, () => low);
  const budget = Math.min(total, high * lanes);
  const weights = Array.from({ length: lanes }, (_, lane) => LANE_WEIGHT_RATIO ** lane);
  // Water-filling: split what is left by weight among the lanes not yet held at a bound.
  const exact: (number | undefined)[] = weights.map(() => undefined);
  for (;;) {
    const free = weights.flatMap((w, lane) => (exact[lane] === undefined ? [{ lane, w }] : []));
    const left = budget - exact.reduce<number>((sum, x) => sum + (x ?? 0), 0);
    const sum = free.reduce((a, { w }) => a + w, 0);
    const bounded = free.filter(({ w }) => (left * w) / sum < low || (left * w) / sum > high);
    if (bounded.length === 0) {
      for (const { lane, w } of free) exact[lane] = (left * w) / sum;
      break;
    }
    for (const { lane, w } of bounded) exact[lane] = (left * w) / sum < low ? low : high;
  }
  const values = exact.map((x) => x ?? low);
  const parts = values.map((x) => Math.floor(x));
  let left = budget - parts.reduce((a, b) => a + b, 0);
  const byRemainder = values
    .map((x, lane) => ({ lane, remainder: x - Math.floor(x) }))
    .sort((a, b) => b.remainder - a.remainder || b.lane - a.lane);
  for (const { lane } of byRemainder) {
    if (left <= 0) break;
    parts[lane] = (parts[lane] ?? 0) + 1;
    left -= 1;
  }
  return parts;
}

/** Each lane's share of the stage's invocations when every lane has a backlog. */
export function laneShares(concurrency: readonly number[]): number[] {
  const sum = concurrency.reduce((a, b) => a + b, 0);
  return concurrency.map((c) => c / sum);
}

/**
 * The starvation bound: how many batch durations pass, at most, before the message at `depth` (1 =
 * the next) of a lane with maximum concurrency `laneConcurrency` starts, whatever the other lanes
 * hold — each of the lane's pollers takes a batch of up to `batchSize` per batch duration.
 */
export function batchesUntilStart(depth: number, laneMax: number, batchSize: number): number {
  return Math.ceil(depth / (laneMax * batchSize));
}
