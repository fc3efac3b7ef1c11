import type { Command } from 'commander';
import { ApiError } from '../client/http.js';
import { JobsClient } from '../client/jobs.js';
import { LiveClient, type LiveMessage } from '../client/live.js';
import { connectionOf, EXIT } from './command-kit.js';
import { watchJob } from './job-watch.js';
import { openNodeSocket } from './node-socket.js';
import { type Column, Output } from './output.js';

/** The work of `stagecoach watch` (defined in lib/cli/watch.ts). */

export interface StreamFlags {
  readonly pipeline?: string;
  readonly json?: boolean;
}

export async function one(jobId: string, flags: StreamFlags, command: Command): Promise<number> {
  const connection = connectionOf(command);
  return watchJob({ out: new Output(flags), jobs: new JobsClient(connection), connection, jobId });
}

interface Line {
  readonly time: string;
  readonly job: string;
  readonly pipeline: string;
  readonly type: string;
  readonly stage: string;
  readonly status: string;
  readonly detail: string;
}

const PROGRESS_EVERY_MS = 5_000;

function lineOf(message: LiveMessage): Line | undefined {
  if (message.type === 'event') {
    const e = message.event;
    const data = e.data ?? {};
    const error = data.error as { code?: unknown; message?: unknown } | undefined;
    const detail =
      e.type === 'stage.progress'
        ? `${Math.round(Number(data.percent ?? 0))}% ${String(data.message ?? '')}`.trim()
        : error !== undefined
          ? `${String(error.code)}: ${String(error.message)}`
          : '';
    return {
      time: e.time,
      job: e.job_id,
      pipeline: e.pipeline ?? '',
      type: e.type,
      stage: e.stage,
      status: e.status,
      detail,
    };
  }
  if (message.type === 'service') {
    const e = message.event;
    const detail =
      typeof e.detail === 'object' && e.detail !== null
        ? Object.entries(e.detail)
            .filter(([k]) => k !== 'tenant_id')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ')
        : '';
    return { time: e.time, job: e.job_id ?? '', pipeline: '', type: e.type, stage: '', status: '', detail };
  }
  return undefined;
}

/** The tenant's stream until Ctrl-C; a dropped connection is reopened (events meanwhile are missed). */
export async function stream(flags: StreamFlags, command: Command): Promise<number> {
  const out = new Output(flags);
  const connection = connectionOf(command);
  const columns: Column<Line>[] = [
    { header: 'TIME', human: (l) => l.time.slice(11, 23), plain: (l) => l.time },
    { header: 'JOB', human: (l) => l.job.slice(0, 8), plain: (l) => l.job },
    { header: 'PIPELINE', human: (l) => l.pipeline.padEnd(9), plain: (l) => l.pipeline },
    { header: 'EVENT', human: (l) => l.type.padEnd(19), plain: (l) => l.type },
    { header: 'STAGE', human: (l) => l.stage.padEnd(10), plain: (l) => l.stage },
    {
      header: 'STATUS',
      human: (l) => l.status.padEnd(13),
      plain: (l) => l.status,
      paint: (text, l) => out.status(l.status).replace(l.status, text),
    },
    { header: 'DETAIL', human: (l) => l.detail },
  ];
  const lastProgress = new Map<string, number>();
  const show = (message: LiveMessage): void => {
    if (message.type !== 'event' && message.type !== 'service') return;
    if (
      flags.pipeline !== undefined &&
      (message.type !== 'event' || message.event.pipeline !== flags.pipeline)
    )
      return;
    if (out.json) {
      out.line(JSON.stringify(message));
      return;
    }
    const line = lineOf(message);
    if (line === undefined) return;
    if (line.type === 'stage.progress') {
      // Progress is live and frequent: one line per job and stage every few seconds.
      const key = `${line.job}/${line.stage}`;
      const now = out.now();
      if (now - (lastProgress.get(key) ?? Number.NEGATIVE_INFINITY) < PROGRESS_EVERY_MS) return;
      lastProgress.set(key, now);
    }
    // One row at a time, without a header: the columns are padded to fixed widths instead.
    out.tableRow(line, columns);
  };

  let stopped = false;
  let wake: (() => void) | undefined;
  const interrupt = (): void => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', interrupt);
  try {
    let delay = 1_000;
    let first = true;
    while (!stopped) {
      let live: LiveClient;
      try {
        live = await LiveClient.connect(connection.wsUrl, connection.token, openNodeSocket);
        live.onMessage(show);
        await live.subscribeTenant();
      } catch (error) {
        // The first connection failing is an error to fix; later ones are retried.
        if (first) throw error;
        out.note(
          `${error instanceof ApiError ? error.describe() : String(error)}; retrying in ${delay / 1000}s`,
        );
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, delay);
        });
        delay = Math.min(15_000, delay * 2);
        continue;
      }
      out.note(
        first
          ? `watching the live stream at ${connection.wsUrl} (Ctrl-C to stop)`
          : 'live stream reopened (events while it was closed are not shown; the job API has the durable ones)',
      );
      first = false;
      delay = 1_000;
      await new Promise<void>((resolve) => {
        wake = resolve;
        live.onClose(() => resolve());
      });
      live.close();
      if (!stopped) out.note('the live stream closed; reopening it');
    }
  } finally {
    process.removeListener('SIGINT', interrupt);
  }
  return EXIT.interrupted;
}
