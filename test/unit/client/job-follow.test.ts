import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../lib/client/http.js';
import { followJob } from '../../../lib/client/job-follow.js';
import type { Job, JobEventRecord } from '../../../lib/client/jobs.js';

const job = (status: Job['status']): Job => ({
  job_id: 'j-1',
  pipeline: 'wordcount',
  stage: 'count',
  status,
  hop: 1,
  retry_count: 0,
  params: {},
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:01.000Z',
  ...(status === 'RUNNING' ? { progress: { percent: 40, at: '2026-01-01T00:00:01.000Z' } } : {}),
});

const event = (id: string, type: string): JobEventRecord => ({
  event_id: id,
  type,
  job_id: 'j-1',
  stage: 'count',
  status: 'RUNNING',
  time: '2026-01-01T00:00:00.000Z',
});

/** A job API that answers RUNNING `polls` times, then DONE; its event log grows by one at the end. */
function fakeJobs(polls: number) {
  let reads = 0;
  const log = [event('e1', 'job.created'), event('e2', 'stage.started')];
  return {
    reads: () => reads,
    get: async (): Promise<Job> => {
      reads += 1;
      if (reads <= polls) return job('RUNNING');
      log.push(event('e3', 'job.done'));
      return job('DONE');
    },
    allEvents: async (): Promise<JobEventRecord[]> => [...log],
  };
}

describe('followJob', () => {
  it('reports each stored event once, polls to the end, and goes on polling when the live side fails', async () => {
    // Prepare
    const jobs = fakeJobs(3);
    const seen: string[] = [];
    const lost: string[] = [];
    // Act
    const final = await followJob(jobs, 'j-1', {
      pollMs: 1,
      live: () => Promise.reject(new ApiError(0, 'WEBSOCKET_REFUSED', 'no WebSocket endpoint')),
      onEvent: (e) => seen.push(e.event_id ?? ''),
      onLiveLost: (error) => lost.push(error.code),
    });
    // Assess
    expect(final.status).toBe('DONE');
    expect(seen).toEqual(['e1', 'e2', 'e3']);
    expect(lost).toEqual(['WEBSOCKET_REFUSED']);
    expect(jobs.reads()).toBe(4);
  });

  it('stops when its signal fires, answering the job as last read, without piling up listeners', async () => {
    // Prepare
    const jobs = fakeJobs(Number.POSITIVE_INFINITY);
    const controller = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    // Act: abort after a few dozen polls.
    const final = await followJob(jobs, 'j-1', {
      pollMs: 1,
      onJob: () => {
        if (jobs.reads() === 40) controller.abort();
      },
      signal: controller.signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    // Assess
    expect(final.status).toBe('RUNNING');
    expect(jobs.reads()).toBe(40);
    expect(warnings).toEqual([]);
  });

  it('reads the stored log again when a poll shows the job moved on without a live event', async () => {
    // Prepare: QUEUED with only job.created stored; then RUNNING, its stage.started stored but never
    // sent live (the live side is silent); then DONE.
    let reads = 0;
    const log = [event('e1', 'job.created')];
    let logReads = 0;
    const jobs = {
      get: async (): Promise<Job> => {
        reads += 1;
        if (reads === 1) return job('QUEUED');
        if (reads === 2) {
          log.push(event('e2', 'stage.started'));
          return job('RUNNING');
        }
        if (reads === 3) return job('RUNNING');
        log.push(event('e3', 'job.done'));
        return job('DONE');
      },
      allEvents: async (): Promise<JobEventRecord[]> => {
        logReads += 1;
        return [...log];
      },
    };
    const seen: string[] = [];
    const statusWhenSeen: number[] = [];
    // Act
    await followJob(jobs, 'j-1', {
      pollMs: 1,
      onEvent: (e) => {
        seen.push(e.event_id ?? '');
        statusWhenSeen.push(reads);
      },
    });
    // Assess: stage.started is reported at the poll that saw RUNNING, not only at the end
    expect(seen).toEqual(['e1', 'e2', 'e3']);
    expect(statusWhenSeen[1]).toBe(2);
    // The first read, the change to RUNNING, and the end: not a read per poll.
    expect(logReads).toBe(3);
  });
});
