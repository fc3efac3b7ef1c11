import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../lib/cli/oma-simulate.js';
import { age, colorEnabled, duration, Output } from '../../../lib/cli/output.js';
import {
  ANALYSIS_TYPES as CLI_ANALYSIS_TYPES,
  JOB_STATUSES as CLI_JOB_STATUSES,
  SIMULATION_PRESETS,
} from '../../../lib/cli/vocabulary.js';
import { JOB_STATUSES } from '../../../lib/client/jobs.js';
import { ANALYSIS_TYPES } from '../../../lib/pipelines/oma/schemas.js';

function capture(tty: boolean, env: NodeJS.ProcessEnv = {}) {
  let text = '';
  const stdout = Object.assign(new PassThrough(), { isTTY: tty, columns: 60 });
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const out = new Output({
    stdout,
    stderr: new PassThrough(),
    env,
    now: () => Date.parse('2026-01-01T01:00:00Z'),
  });
  return { out, text: () => text };
}

const rows = [
  { id: 'a1', status: 'DONE', at: '2026-01-01T00:59:30Z', ms: 850 },
  { id: 'b22', status: 'FAILED', at: '2026-01-01T00:15:00Z', ms: 192_000 },
];

describe('Output', () => {
  const columns = (out: Output) => [
    { header: 'ID', human: (r: (typeof rows)[number]) => r.id },
    {
      header: 'STATUS',
      human: (r: (typeof rows)[number]) => r.status,
      paint: (text: string, r: (typeof rows)[number]) => out.status(r.status).replace(r.status, text),
    },
    {
      header: 'CREATED',
      human: (r: (typeof rows)[number]) => age(r.at, out.now()),
      plain: (r: (typeof rows)[number]) => r.at,
    },
    { header: 'TOOK', align: 'right' as const, human: (r: (typeof rows)[number]) => duration(r.ms) },
  ];

  it('draws a table with a header and ages on a terminal, without colour under NO_COLOR', () => {
    const { out, text } = capture(true, { NO_COLOR: '1' });
    out.table(rows, columns(out));
    expect(text()).toBe(
      [
        'ID   STATUS  CREATED    TOOK',
        'a1   DONE    30s ago   850ms',
        'b22  FAILED  45m ago  3m 12s',
        '',
      ].join('\n'),
    );
  });

  it('colours statuses on a terminal', () => {
    const { out, text } = capture(true);
    out.table(rows, columns(out));
    expect(text()).toContain('\u001b[32mDONE  \u001b[39m');
  });

  it('prints tab-separated rows without a header or colour when piped, with ISO times', () => {
    const { out, text } = capture(false);
    out.table(rows, columns(out));
    expect(text()).toBe('a1\tDONE\t2026-01-01T00:59:30Z\t850ms\nb22\tFAILED\t2026-01-01T00:15:00Z\t3m 12s\n');
  });

  it('prints just the id of a created thing when piped or quiet, a sentence on a terminal', () => {
    const piped = capture(false);
    const quiet = new Output({ stdout: Object.assign(new PassThrough(), { isTTY: true }), quiet: true });
    const terminal = capture(true);
    piped.out.created('j-1', () => 'Submitted j-1');
    terminal.out.created('j-1', () => 'Submitted j-1');
    expect(piped.text()).toBe('j-1\n');
    expect(terminal.text()).toBe('Submitted j-1\n');
    expect(quiet.tty && quiet.quiet).toBe(true);
  });

  it('turns colour on for a terminal, off for NO_COLOR or TERM=dumb; FORCE_COLOR wins, as in Node', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
  });

  it('says ages and durations the short way', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(age('2026-01-01T11:59:59.500Z', now)).toBe('just now');
    expect(age('2026-01-01T09:00:00Z', now)).toBe('3h ago');
    expect(age('2026-01-03T12:00:00Z', now)).toBe('in 2d');
    expect(duration(4_200)).toBe('4.2s');
    expect(duration(3_840_000)).toBe('1h 04m');
  });
});

describe('the command line’s vocabulary', () => {
  it('spells the flags’ values as their sources do (it is kept apart only to start fast)', () => {
    expect(CLI_JOB_STATUSES).toEqual(JOB_STATUSES);
    expect(CLI_ANALYSIS_TYPES).toEqual(ANALYSIS_TYPES);
    expect(SIMULATION_PRESETS).toEqual(Object.keys(PRESETS));
  });
});
