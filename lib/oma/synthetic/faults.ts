import { InvalidOptionError } from '../errors.js';
import { Xoshiro128 } from '../linalg/random.js';

/**
 * Sensor faults seen in field records, applied in place to simulated channels so that the sensor
 * health checks (run/sensor-health.ts) can be tested against a known truth. Levels are in units
 * of the channel's RMS before the fault.
 */
export type SensorFault =
  /** The channel reads a constant (a dead sensor or a broken cable). */
  | { readonly kind: 'stuck'; readonly channel: number; readonly value?: number }
  /** Saturation at ±level·RMS. */
  | { readonly kind: 'clip'; readonly channel: number; readonly level: number }
  /** `count` single-sample spikes of ±amplitude·RMS at random places. */
  | { readonly kind: 'spikes'; readonly channel: number; readonly count: number; readonly amplitude: number }
  /** `count` stretches of `duration` seconds where the logger repeated the last value. */
  | { readonly kind: 'dropouts'; readonly channel: number; readonly count: number; readonly duration: number }
  /** The offset jumps by size·RMS at `at` (fraction of the record). */
  | { readonly kind: 'step'; readonly channel: number; readonly at: number; readonly size: number }
  /** Extra white noise of `level`·RMS (a noisy sensor). */
  | { readonly kind: 'noise'; readonly channel: number; readonly level: number }
  /** The gain changes by `factor` from `at` (fraction of the record) on (a loose mount, a gain switch). */
  | { readonly kind: 'gain'; readonly channel: number; readonly at: number; readonly factor: number };

export function applySensorFaults(
  channels: readonly Float64Array[],
  fs: number,
  faults: readonly SensorFault[],
  seed = 1,
): void {
  const rng = new Xoshiro128(seed + 104729);
  const uniformIndex = (n: number): number => Math.floor((rng.nextUint32() / 4294967296) * n);
  for (const fault of faults) {
    const x = channels[fault.channel];
    if (x === undefined) throw new InvalidOptionError('channel', `no channel ${fault.channel}`);
    const n = x.length;
    let ss = 0;
    for (const v of x) ss += v * v;
    const rms = Math.sqrt(ss / Math.max(1, n));
    switch (fault.kind) {
      case 'stuck':
        x.fill(fault.value ?? 0);
        break;
      case 'clip': {
        const rail = fault.level * rms;
        for (let i = 0; i < n; i++) x[i] = Math.max(-rail, Math.min(rail, x[i] as number));
        break;
      }
      case 'spikes':
        for (let s = 0; s < fault.count; s++) {
          const i = uniformIndex(n);
          x[i] = (x[i] as number) + (rng.nextUint32() & 1 ? 1 : -1) * fault.amplitude * rms;
        }
        break;
      case 'dropouts': {
        const length = Math.max(2, Math.round(fault.duration * fs));
        for (let s = 0; s < fault.count; s++) {
          const start = 1 + uniformIndex(Math.max(1, n - length - 1));
          x.fill(x[start - 1] as number, start, Math.min(n, start + length));
        }
        break;
      }
      case 'step': {
        const from = Math.round(fault.at * n);
        for (let i = from; i < n; i++) x[i] = (x[i] as number) + fault.size * rms;
        break;
      }
      case 'noise':
        for (let i = 0; i < n; i++) x[i] = (x[i] as number) + fault.level * rms * rng.nextGaussian();
        break;
      case 'gain': {
        const from = Math.round(fault.at * n);
        for (let i = from; i < n; i++) x[i] = (x[i] as number) * fault.factor;
        break;
      }
    }
  }
}
