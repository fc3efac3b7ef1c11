import { expect } from 'vitest';

/** Machine epsilon for doubles. */
export const EPS = Number.EPSILON;

/**
 * Numeric assertions that print the observed difference and the tolerance when they fail, so a
 * failing accuracy test says by how much it missed.
 */
export function expectClose(actual: number, expected: number, tolerance: number, what: string): void {
  const diff = Math.abs(actual - expected);
  const ok = diff <= tolerance && Number.isFinite(actual);
  expect(
    ok,
    `${what}: got ${actual}, expected ${expected}, |difference| ${diff.toExponential(3)} > tolerance ${tolerance.toExponential(3)}`,
  ).toBe(true);
}

/** Max-norm difference between two arrays, checked against `tolerance`. */
export function expectArrayClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs((actual[i] as number) - (expected[i] as number));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(
    worst <= tolerance,
    `${what}: max |difference| ${worst.toExponential(3)} at index ${at} (got ${actual[at]}, expected ${expected[at]}) > tolerance ${tolerance.toExponential(3)}`,
  ).toBe(true);
}

/** Asserts `value <= limit` (or `>=` with `atLeast`) and prints both on failure. */
export function expectAtMost(value: number, limit: number, what: string): void {
  expect(value <= limit, `${what}: ${value} exceeds the limit ${limit}`).toBe(true);
}

export function expectAtLeast(value: number, limit: number, what: string): void {
  expect(value >= limit, `${what}: ${value} is below the limit ${limit}`).toBe(true);
}

/** Euclidean norm of an array. */
export function norm2(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s);
}

/** Small deterministic PRNG for test inputs (mulberry32), uniform in [-1, 1). */
export function testRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

export function randomArray(n: number, seed: number): Float64Array {
  const r = testRandom(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
}
