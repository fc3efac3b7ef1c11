import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Output } from '../../../lib/cli/output.js';
import { createRenderer } from '../../../lib/cli/progress.js';
import { type BoardEvent, StageBoard } from '../../../lib/cli/stage-board.js';

const at = (ms: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms)).toISOString();

/** Events of one job; each carries its hop, attempt and time, as the runtime makes them. */
const ev = (type: string, stage: string, ms: number, more: Partial<BoardEvent> = {}): BoardEvent => ({
  type,
  stage,
  status: 'RUNNING',
  hop: 0,
  attempt: 1,
  time: at(ms),
  ...more,
});
const progress = (stage: string, ms: number, percent: number, more: Partial<BoardEvent> = {}): BoardEvent =>
  ev('stage.progress', stage, ms, { data: { percent, message: `${percent}` }, ...more });

describe('StageBoard', () => {
  it('keeps each stage at its newest event: a late, older progress changes nothing', () => {
    // Prepare
    const board = new StageBoard(['count']);
    // Act
    const changes = [
      board.apply(ev('stage.started', 'count', 0)),
      board.apply(progress('count', 20, 82)),
      board.apply(progress('count', 10, 10)),
      board.apply(progress('count', 20, 82)),
      board.apply(progress('count', 30, 90.4)),
    ];
    // Assess
    expect(changes).toEqual(['state', 'progress', 'stale', 'stale', 'progress']);
    expect(board.row('count')).toMatchObject({ state: 'running', percent: 90, message: '90.4' });
  });

  it('orders by hop, then attempt, then time: a retry’s start wins over the failure before it', () => {
    const board = new StageBoard(['ingest', 'count']);
    board.apply(ev('stage.started', 'count', 100, { hop: 1, attempt: 2 }));
    // The first attempt's failure arrives after the second attempt started.
    expect(
      board.apply(ev('stage.failed', 'count', 50, { hop: 1, attempt: 1, status: 'RETRY_WAITING' })),
    ).toBe('stale');
    // A stage of an earlier hop cannot move a later one.
    board.apply(ev('stage.completed', 'ingest', 40, { status: 'QUEUED' }));
    expect(board.rows().map((r) => [r.stage, r.state])).toEqual([
      ['ingest', 'done'],
      ['count', 'running'],
    ]);
    expect(board.row('count')?.message).toBe('attempt 2');
  });

  it('shows a retry, a final failure, and the job’s status from its newest event', () => {
    const board = new StageBoard(['count']);
    board.apply(ev('stage.started', 'count', 0));
    board.apply(
      ev('stage.failed', 'count', 10, {
        status: 'RETRY_WAITING',
        data: { error: { code: 'BOOM', message: 'it broke' }, retryable: true },
      }),
    );
    expect(board.row('count')).toMatchObject({ state: 'retrying', message: 'BOOM: it broke' });
    board.apply(ev('stage.started', 'count', 20, { attempt: 2 }));
    board.apply(
      ev('stage.failed', 'count', 30, {
        attempt: 2,
        status: 'FAILED',
        data: { error: { code: 'BOOM', message: 'again' } },
      }),
    );
    board.apply(ev('job.failed', 'count', 30, { attempt: 2, status: 'FAILED' }));
    expect(board.row('count')).toMatchObject({ state: 'failed', message: 'BOOM: again', attempt: 2 });
    expect(board.status).toBe('FAILED');
  });

  it('sets the stages from a replay’s stage on back to waiting', () => {
    const board = new StageBoard(['ingest', 'count', 'report']);
    board.apply(ev('stage.completed', 'ingest', 0, { status: 'QUEUED' }));
    board.apply(ev('stage.completed', 'count', 10, { hop: 1, status: 'QUEUED' }));
    board.apply(ev('stage.completed', 'report', 20, { hop: 2, status: 'DONE' }));
    board.apply(ev('job.replayed', 'count', 30, { hop: 3, attempt: undefined, status: 'QUEUED' }));
    expect(board.rows().map((r) => r.state)).toEqual(['done', 'queued', 'waiting']);
  });
});

describe('the progress renderer', () => {
  const output = (now: () => number) =>
    new Output({ stdout: new PassThrough(), stderr: new PassThrough(), now });

  it('piped: prints state changes at once and progress at most once per interval', () => {
    // Prepare
    let now = 0;
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const renderer = createRenderer({ output: output(() => now), stream: sink, intervalMs: 5_000 });
    const board = new StageBoard(['count']);
    const show = (event: BoardEvent): void => renderer.update(board, event.stage, board.apply(event));
    // Act
    show(ev('stage.started', 'count', 0));
    for (let i = 1; i <= 100; i++) {
      now = i * 100; // 10 s in all
      show(progress('count', i, i));
    }
    show(ev('stage.completed', 'count', 200, { status: 'DONE' }));
    renderer.stop(board);
    // Assess
    expect(lines).toEqual([
      'count  running  0%',
      'count  running  50%  50',
      'count  running  100%  100',
      'count  done',
    ]);
  });

  it('on a terminal: draws a bar per stage in place with cli-progress, and notes above them', () => {
    // Prepare: a stream that says it is a terminal.
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let drawn = '';
    tty.on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const renderer = createRenderer({ output: output(Date.now), stream: tty });
    const board = new StageBoard(['ingest', 'count']);
    // Act
    for (const event of [ev('stage.started', 'ingest', 0), progress('ingest', 5, 40)]) {
      renderer.update(board, event.stage, board.apply(event));
    }
    renderer.note('ingest attempt 1 failed: BOOM');
    renderer.stop(board);
    // Assess: the cursor is moved (not a new line per update), both stages have a bar.
    expect(drawn).toContain('\u001b[');
    expect(drawn).toMatch(/ingest +█+░+ +40% {2}› running/);
    expect(drawn).toMatch(/count +░+ +0% {2}· waiting/);
    expect(drawn).toContain('ingest attempt 1 failed: BOOM');
  });
});
