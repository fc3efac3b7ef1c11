import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeCsv } from '../../lib/oma/io/csv-writer.js';
import { modalModelFromMatrices, shearFrame, simulateResponse } from '../../lib/oma/synthetic/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'stagecoach-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = new URL('../../bin/stagecoach.mjs', import.meta.url).pathname;

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const { mass, stiffness } = shearFrame([1000, 1000, 1000], [3e6, 3e6, 3e6]);
const model = modalModelFromMatrices(mass, stiffness, 3, 0.02);
const record = await simulateResponse(model, { fs: 100, duration: 300, seed: 4, noiseFraction: 0.02 });
const withTime = join(dir, 'frame.csv');
await writeCsv(withTime, record.channels, { fs: 100 });

describe('stagecoach analyze', () => {
  it('prints modes, band, harmonics, diagnostics, excluded channels and timings with --json, fs from the time column', () => {
    // Act
    const r = run(['analyze', withTime, '--method', 'ssi', '--json']);
    // Assess
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      modes: { frequency: number; damping: number; shape: number[]; expected: { damping_cv: number } }[];
      band: { fmax: number; chosen: string; reason: string };
      diagnostics: { code: string; severity: string; message: string }[];
      timings_s: Record<string, number>;
    };
    expect(Object.keys(out)).toEqual([
      'modes',
      'band',
      'harmonics',
      'diagnostics',
      'excluded_channels',
      'timings_s',
    ]);
    expect(out.band.chosen).toBe('auto');
    expect(out.band.reason).not.toBe('');
    for (const m of out.modes) expect(m.expected.damping_cv).toBeGreaterThan(0);
    expect(out.modes.length).toBe(3);
    out.modes.forEach((m, i) => {
      const truth = record.modes[i];
      expect(Math.abs(m.frequency - (truth?.frequency ?? 0)) / (truth?.frequency ?? 1)).toBeLessThan(0.01);
      expect(m.damping).toBeGreaterThan(0);
      expect(m.shape).toHaveLength(3);
    });
    expect(out.timings_s.load).toBeGreaterThanOrEqual(0);
    expect(out.timings_s.total).toBeGreaterThan(0);
  });

  it('prints a readable table for EFDD', () => {
    const r = run(['analyze', withTime, '--method', 'efdd', '--fmax', '20']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/EFDD, band up to 20 Hz/);
    expect(r.stdout).toMatch(/Mode shapes \(unit max\)/);
  });

  it('leaves out channels by name, and prints the band and each warning with its fix in the table', () => {
    // Prepare: the frame with its second channel dead
    const dead = join(dir, 'dead.csv');
    const channels = record.channels.map((c, i) => (i === 1 ? new Float64Array(c.length).fill(0.5) : c));
    return writeCsv(dead, channels, { fs: 100 }).then(() => {
      // Act
      const json = run(['analyze', withTime, '--method', 'ssi', '--exclude', 'ch3', '--json']);
      const table = run(['analyze', dead, '--method', 'efdd']);
      // Assess
      expect(json.status, json.stderr).toBe(0);
      const out = JSON.parse(json.stdout) as {
        excluded_channels: number[];
        modes: { shape: (number | null)[] }[];
      };
      expect(out.excluded_channels).toEqual([2]);
      for (const m of out.modes) expect(m.shape[2]).toBeNull();
      expect(table.status, table.stderr).toBe(0);
      expect(table.stdout).toMatch(/band 0–[\d.]+ Hz \(auto\): the spectrum holds coherent peaks/);
      expect(table.stdout).toMatch(/left out: ch2/);
      expect(table.stdout).toMatch(/warning CHANNEL_DEAD: channel 'ch2' \(1\) is constant/);
      expect(table.stdout).toMatch(/ {10}fix: check the sensor and its cable/);
      expect(table.stderr).toMatch(/warning: .*constant.* — fix: .* \[CHANNEL_DEAD\]/);
    });
  });

  it('exits 2 on a usage error and 1 on bad data, with a one-line message and no stack trace', () => {
    // Prepare
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, `a,b\n${'1,2\n'.repeat(30)}3\n`);
    // Act
    const usage = run(['analyze', withTime, '--fs', 'fast']);
    const method = run(['analyze', withTime, '--method', 'modal']);
    const band = run(['analyze', withTime, '--fmax', '80']);
    const data = run(['analyze', ragged, '--fs', '10']);
    const missing = run(['analyze', join(dir, 'nope.csv'), '--fs', '10']);
    // Assess
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--fs must be a positive number/);
    expect(method.status).toBe(2);
    expect(band.status).toBe(2);
    expect(band.stderr).toBe('error: fmax must be in (0, 50] Hz (the Nyquist frequency), got 80\n');
    expect(data.status).toBe(1);
    expect(data.stderr).toMatch(/line 32, column 2: expected 2 columns, found 1/);
    expect(missing.status).toBe(1);
    for (const r of [usage, method, band, data, missing]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
