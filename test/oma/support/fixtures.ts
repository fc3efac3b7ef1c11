import { readFileSync } from 'node:fs';

/** Reference values computed by scipy (see test/oma/fixtures/make_fixtures.py). */
export interface ScipyReference {
  readonly generator: string;
  readonly x: number[];
  readonly y: number[];
  readonly filters: {
    readonly type: 'lowpass' | 'highpass' | 'bandpass';
    readonly order: number;
    readonly cutoff: number | [number, number];
    readonly fs: number;
    readonly output: number[];
    readonly responseFrequencies: number[];
    readonly responseMagnitude: number[];
  }[];
  readonly decimate: { readonly q: number; readonly output: number[]; readonly scipyDecimate: number[] };
  readonly csd: {
    readonly x: number[];
    readonly y: number[];
    readonly fs: number;
    readonly nperseg: number;
    readonly noverlap: number;
    readonly frequencies: number[];
    readonly pxyRe: number[];
    readonly pxyIm: number[];
    readonly pxx: number[];
  };
}

export function scipyReference(): ScipyReference {
  return JSON.parse(
    readFileSync(new URL('../fixtures/scipy-reference.json', import.meta.url), 'utf8'),
  ) as ScipyReference;
}
