import { describe, expect, it } from 'vitest';
import { sdofBell } from '../../../lib/oma/fdd/bell.js';
import { decayFit, efdd } from '../../../lib/oma/fdd/efdd.js';
import { pickPeaks } from '../../../lib/oma/fdd/peaks.js';
import { peakShape } from '../../../lib/oma/fdd/spectrum.js';
import { mac } from '../../../lib/oma/modal/mac.js';
import { expectAtLeast, expectAtMost, expectClose } from '../support/assert-close.js';
import { analyticSpectrum, unit } from '../support/spectra.js';

/**
 * Peak picking and the SDOF bell on exact spectral matrices (spectra.ts): known modes, no
 * estimation noise, so the answers are known to the line.
 */
const FS = 100;
const NPERSEG = 16384;
const DF = FS / NPERSEG;

/** Six orthonormal shapes (the columns of a fixed rotation). */
const SHAPES = [
  unit([1, 1, 1, 1, 1, 1]),
  unit([1, -1, 1, -1, 1, -1]),
  unit([1, 1, -1, -1, 1, 1]),
  unit([1, -1, -1, 1, 1, -1]),
  unit([1, 1, 1, 1, -2, -2]),
  unit([1, -1, 1, -1, -2, 2]),
];

const shapeOf = (
  spectrum: Awaited<ReturnType<typeof analyticSpectrum>>,
  p: ReturnType<typeof pickPeaks>[number],
) => peakShape(spectrum, p);

describe('pickPeaks', () => {
  it('finds isolated modes at their frequencies and nothing else', async () => {
    // Prepare
    const truth = [
      { frequency: 2.5, damping: 0.01, shape: SHAPES[0] as number[] },
      { frequency: 9, damping: 0.015, shape: SHAPES[1] as number[] },
      { frequency: 17, damping: 0.02, shape: SHAPES[2] as number[] },
    ];
    const spectrum = await analyticSpectrum(truth, { fs: FS, nperseg: NPERSEG });
    // Act
    const peaks = pickPeaks(spectrum, { bands: [[0, 25]] });
    // Assess
    expect(peaks.map((p) => p.frequency.toFixed(1))).toEqual(['2.5', '9.0', '17.0']);
    peaks.forEach((p, i) => {
      // An acceleration spectrum peaks at f/√(1 − 2ζ²)
      const t = truth[i] as (typeof truth)[number];
      const top = t.frequency / Math.sqrt(1 - 2 * t.damping ** 2);
      expectAtMost(Math.abs(p.frequency - top), DF / 2, `peak frequency error of mode ${i}, Hz`);
      expect(p.merged).toBeUndefined();
    });
  });

  it('separates two modes half a half-power bandwidth apart (one merged SV1 hump)', async () => {
    // Prepare: 7.000 and 7.035 Hz at ζ = 0.5 % — bandwidth 0.07 Hz, separation 0.035 Hz
    const truth = [
      { frequency: 7, damping: 0.005, shape: SHAPES[3] as number[] },
      { frequency: 7.035, damping: 0.005, shape: SHAPES[4] as number[] },
    ];
    const spectrum = await analyticSpectrum(truth, { fs: FS, nperseg: NPERSEG });
    // Act
    const peaks = pickPeaks(spectrum, { bands: [[0, 25]] });
    // Assess
    expect(peaks).toHaveLength(2);
    peaks.forEach((p, i) => {
      const t = truth[i] as (typeof truth)[number];
      expectAtMost(Math.abs(p.frequency - t.frequency), 2 * DF, `frequency error of ${t.frequency} Hz`);
      expectAtLeast(
        mac(shapeOf(spectrum, p), { re: Float64Array.from(t.shape) }),
        0.95,
        `MAC of ${t.frequency} Hz`,
      );
    });
  });

  it('keeps two modes whose shapes are alike at the sensors (spatial aliasing) but 17 % apart', async () => {
    // Prepare: MAC 0.98 between the shapes
    const a = unit([1, 0.8, 0.6, 0.4, 0.2, 0.1]);
    const b = unit([1, 0.8, 0.6, 0.4, 0.2, 0.1].map((x, i) => x + 0.1 * (i % 2 === 0 ? 1 : -1)));
    expectAtLeast(
      mac({ re: Float64Array.from(a) }, { re: Float64Array.from(b) }),
      0.95,
      'MAC of the two shapes',
    );
    const spectrum = await analyticSpectrum(
      [
        { frequency: 10.78, damping: 0.012, shape: a },
        { frequency: 12.63, damping: 0.013, shape: b, amplitude: 0.5 },
      ],
      { fs: FS, nperseg: NPERSEG },
    );
    // Act
    const peaks = pickPeaks(spectrum, { bands: [[0, 25]] });
    // Assess
    expect(peaks.map((p) => p.frequency.toFixed(2))).toEqual(['10.78', '12.63']);
  });

  it('resolves two modes a third of a line apart through their orthogonal shapes', async () => {
    // Prepare: 7.000 and 7.002 Hz, a third of a line apart, orthogonal shapes
    const truth = [
      { frequency: 7, damping: 0.01, shape: SHAPES[0] as number[] },
      { frequency: 7.002, damping: 0.01, shape: SHAPES[1] as number[], amplitude: 0.7 },
    ];
    const spectrum = await analyticSpectrum(truth, { fs: FS, nperseg: NPERSEG });
    // Act
    const peaks = pickPeaks(spectrum, { bands: [[0, 25]] });
    // Assess: both, each with its own shape (separated within the pair's plane) and frequency
    expect(peaks).toHaveLength(2);
    peaks.forEach((p, i) => {
      const t = truth[i] as (typeof truth)[number];
      expectAtLeast(
        mac({ re: Float64Array.from(t.shape) }, shapeOf(spectrum, p)),
        0.99,
        `MAC of mode ${i + 1}`,
      );
      expectClose(p.frequency, t.frequency, DF / 2, `frequency of mode ${i + 1}`);
    });
    expect(peaks[1]?.pairedWith).toBeCloseTo(peaks[0]?.frequency ?? 0, 6);
  });
});

describe('sdofBell', () => {
  it('with one channel stays within five half-power bandwidths of the peak (it once spanned 0–50 Hz)', async () => {
    // Prepare
    const spectrum = await analyticSpectrum(
      [
        { frequency: 3, damping: 0.01, shape: [1] },
        { frequency: 8.8, damping: 0.015, shape: [0.8] },
      ],
      { fs: FS, nperseg: NPERSEG },
    );
    const peaks = pickPeaks(spectrum, { bands: [[0, 25]] });
    const peak = peaks[0];
    expect(peak?.frequency).toBeCloseTo(3, 2);
    if (peak === undefined) return;
    // Act
    const bell = sdofBell(spectrum, peak, 0.8);
    // Assess: the bandwidth of a 3 Hz mode at 1 % is 0.06 Hz (measured on a smoothed bell: wider)
    expectClose(bell.bandwidth, 0.06, 0.01, 'half-power bandwidth, Hz');
    expectAtMost((peak.line - bell.from) * DF, 5 * bell.bandwidth + DF, 'lower reach, Hz');
    expectAtMost((bell.to - peak.line) * DF, 5 * bell.bandwidth + DF, 'upper reach, Hz');
  });

  it('ends at the valley before a neighbour whose shape the sensors cannot tell apart', async () => {
    // Prepare: shapes with MAC 0.999, modes 15 % apart, damped so that five bandwidths (3 Hz)
    // reach well beyond the neighbour
    const a = unit([1, 0.9, 0.7, 0.5]);
    const b = unit([1, 0.92, 0.66, 0.52]);
    const spectrum = await analyticSpectrum(
      [
        { frequency: 10, damping: 0.03, shape: a },
        { frequency: 11.5, damping: 0.03, shape: b },
      ],
      { fs: FS, nperseg: NPERSEG },
    );
    const peaks = pickPeaks(spectrum, { bands: [[0, 25]] });
    expect(peaks.map((p) => p.frequency.toFixed(1))).toEqual(['10.0', '11.5']);
    const peak = peaks[0] as (typeof peaks)[number];
    // Act
    const bell = sdofBell(spectrum, peak, 0.8);
    // Assess: the valley is about half-way
    expectAtMost((bell.to * DF - 10) / 1.5, 0.6, 'bell end as a fraction of the way to the neighbour');
    expectAtLeast(mac(shapeOf(spectrum, peak), { re: Float64Array.from(a) }), 0.99, 'MAC of the 10 Hz shape');
  });
});

describe('EFDD on exact spectra', () => {
  it('recovers frequency and damping of isolated modes, also from a single channel', async () => {
    for (const shapes of [
      [SHAPES[0], SHAPES[1]],
      [[1], [0.7]],
    ] as const) {
      // Prepare
      const truth = [
        { frequency: 3, damping: 0.01, shape: shapes[0] as readonly number[] },
        { frequency: 11, damping: 0.02, shape: shapes[1] as readonly number[] },
      ];
      const spectrum = await analyticSpectrum(truth, { fs: FS, nperseg: NPERSEG });
      // Act
      const modes = efdd(spectrum, pickPeaks(spectrum, { bands: [[0, 25]] }));
      // Assess
      expect(modes).toHaveLength(2);
      modes.forEach((m, i) => {
        const t = truth[i] as (typeof truth)[number];
        const what = `${t.frequency} Hz mode with ${t.shape.length} channel(s)`;
        expect(m.error, what).toBeUndefined();
        expectAtMost(Math.abs(m.frequency / t.frequency - 1), 1e-3, `${what}: relative frequency error`);
        expectAtMost(Math.abs(m.damping / t.damping - 1), 0.1, `${what}: relative damping error`);
      });
    }
  });
});

describe('decayFit', () => {
  it('recovers ζ and f from r(t) = e^(−ζωt) cos(ω_d t)', () => {
    // Prepare
    const fs = 200;
    const f = 4.3;
    const zeta = 0.015;
    const omega = 2 * Math.PI * f;
    const omegaD = omega * Math.sqrt(1 - zeta * zeta);
    const r = Float64Array.from(
      { length: 8000 },
      (_, t) => Math.exp((-zeta * omega * t) / fs) * Math.cos((omegaD * t) / fs),
    );
    // Act
    const fit = decayFit(r, r.length - 2, 1 / fs, 0.9, 0.3);
    // Assess
    if (typeof fit === 'string') throw new Error(fit);
    expectAtMost(Math.abs(fit.frequency / f - 1), 1e-4, 'relative frequency error');
    expectAtMost(Math.abs(fit.damping / zeta - 1), 5e-3, 'relative damping error');
  });

  it('says why when there are too few extrema', () => {
    const r = Float64Array.from({ length: 400 }, (_, t) => Math.exp(-t / 5) * Math.cos(t / 3));
    expect(decayFit(r, 398, 0.01, 0.9, 0.3)).toMatch(/only \d correlation extrema/);
  });
});
