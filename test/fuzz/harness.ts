import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { JobRecord, JobStore } from '../../lib/core/ports/index.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import { DEFAULT_TOKENS } from '../../lib/dev/tokens.js';
import { exampleService } from '../../lib/pipelines/example/service.js';
import { omaService } from '../../lib/pipelines/oma/service.js';
import { rawBytes, rawRequest, snapshot } from '../support/hostile.js';
import { closeCodeOf, rawHandshake } from '../support/raw-ws.js';
import { eventually } from '../support/wait.js';
import { type FuzzCase, type FuzzTargets, generateCases, type HttpCase, type WsCase } from './cases.js';
import { Prng } from './prng.js';

/**
 * Runs generated hostile requests and frames against `stagecoach dev`'s runtime on the embedded
 * backend, over real HTTP and WebSocket, and checks after each one: no 5xx, the process serves on,
 * a refused request wrote nothing (the store, the blobs and the OMA records compared before and
 * after), a malformed frame closed its socket with 1002/1007/1009 and a well-formed one got an
 * answer that is not an internal error; at the end, no connection is left behind and a normal job
 * runs. Every outcome is counted by its status (HTTP status, WebSocket close code or reply code).
 */

export interface FuzzOptions {
  readonly seed: number;
  readonly iterations: number;
  /** Run only this case of the sequence (the rest are generated and skipped): a failure's replay. */
  readonly only?: number;
  readonly onProgress?: (done: number) => void;
}

export interface Violation {
  readonly index: number;
  readonly label: string;
  readonly problem: string;
}

export interface FuzzReport {
  readonly seed: number;
  /** The cases run (one with `only`). */
  readonly cases: number;
  /** Outcomes by kind and status: `http 400`, `raw 431`, `ws close 1002`, `ws reply BAD_REQUEST`. */
  readonly counts: Readonly<Record<string, number>>;
  readonly violations: readonly Violation[];
  /** The normal job run after all the cases. */
  readonly finalJob: 'DONE' | string;
}

const [tokenA = '', tokenB = ''] = Object.keys(DEFAULT_TOKENS.tokens);
const TENANTS = ['tenant-a', 'tenant-b'];
const STRUCTURE = 'fuzz-s1';
const ACTIVE = new Set(['QUEUED', 'RUNNING', 'RETRY_WAITING']);

async function api<T>(url: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await response.json()) as T;
}

/** Counts the connections stored and removed, to find one a socket left behind. */
function countConnections(store: JobStore): { open: () => number } {
  let puts = 0;
  let deletes = 0;
  const put = store.putConnection.bind(store);
  const remove = store.deleteConnection.bind(store);
  store.putConnection = async (connection) => {
    puts += 1;
    return put(connection);
  };
  store.deleteConnection = async (id) => {
    deletes += 1;
    return remove(id);
  };
  return { open: () => puts - deletes };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const dir = await mkdtemp(join(tmpdir(), 'stagecoach-fuzz-'));
  const runtime = await DevRuntime.start({
    backend: 'memory',
    services: [omaService, exampleService],
    port: 0,
    tokensFile: join(dir, 'tokens.json'),
  });
  const connections = countConnections(runtime.backend.store);
  const counts: Record<string, number> = {};
  const violations: Violation[] = [];
  const count = (key: string): void => {
    counts[key] = (counts[key] ?? 0) + 1;
  };
  try {
    const targets = await prepare(runtime);
    const cases = generateCases(new Prng(options.seed), targets, options.iterations);
    const state = async (): Promise<string> => {
      const records = await Promise.all(
        TENANTS.map((t) =>
          runtime.backend.records.listRecords(t, `oma/${t}/analyses/${STRUCTURE}`, { limit: 1_000 }),
        ),
      );
      return `${await snapshot(runtime.backend, TENANTS)}|${JSON.stringify(records)}`;
    };
    let run = 0;
    let index = -1;
    for (const c of cases) {
      index += 1;
      if (options.only !== undefined && index !== options.only) continue;
      run += 1;
      const before = await state();
      const outcome = await runCase(runtime, c);
      count(outcome.key);
      const fail = (problem: string): void => {
        violations.push({ index, label: c.label, problem });
      };
      if (outcome.status >= 500) fail(`answered ${outcome.status}`);
      if (outcome.problem !== undefined) fail(outcome.problem);
      if (outcome.refused) {
        const after = await state();
        if (after !== before) fail('a refused request changed the stored state');
      } else await quiesce(runtime);
      options.onProgress?.(index + 1);
    }
    // The server serves on: health, no connection left behind, and a normal job runs to DONE.
    const health = await rawRequest(runtime.url, { method: 'GET', path: '/health' });
    if (health.status !== 200)
      violations.push({ index: -1, label: 'after', problem: `/health answered ${health.status}` });
    await eventually(
      () => connections.open() === 0,
      'every connection of the run to be removed',
      30_000,
    ).catch(() =>
      violations.push({
        index: -1,
        label: 'after',
        problem: `${connections.open()} connection(s) left in the store`,
      }),
    );
    const finalJob = await normalJob(runtime);
    return { seed: options.seed, cases: run, counts, violations, finalJob };
  } finally {
    await runtime.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Jobs and an analysis the cases aim at. */
async function prepare(runtime: DevRuntime): Promise<FuzzTargets> {
  const submit = (token: string, body: unknown) => api<JobRecord>(runtime.url, token, 'POST', '/jobs', body);
  const done = await submit(tokenA, {
    pipeline: 'wordcount',
    params: { document_id: 'f1', text: 'fuzz me' },
  });
  const failed = await submit(tokenA, {
    pipeline: 'wordcount',
    entry_stage: 'count',
    params: { document_key: 'documents/absent.txt' },
  });
  const jobB = await submit(tokenB, { pipeline: 'wordcount', params: { document_id: 'b1', text: 'mine' } });
  const analysis = await api<{ analysis_id: string }>(
    runtime.url,
    tokenA,
    'POST',
    `/structures/${STRUCTURE}/analyses`,
    {
      type: 'FDD',
      analysis_id: 'fuzz-a1',
    },
  );
  await quiesce(runtime);
  return {
    tokenA,
    tokenB,
    doneA: done.job_id,
    failedA: failed.job_id,
    jobB: jobB.job_id,
    structure: STRUCTURE,
    analysisA: analysis.analysis_id,
  };
}

/** Waits until no job is on its way and no analysis is queued or running (what an accepted request set going). */
async function quiesce(runtime: DevRuntime): Promise<void> {
  await eventually(
    async () => {
      for (const tenant_id of TENANTS) {
        const jobs = await runtime.backend.store.listJobs({ tenant_id, limit: 1_000 });
        if (jobs.items.some((j) => ACTIVE.has(j.status))) return false;
        const analyses = await runtime.backend.records.listRecords(
          tenant_id,
          `oma/${tenant_id}/analyses/${STRUCTURE}`,
        );
        if (analyses.items.some((r) => ['QUEUED', 'RUNNING'].includes(String(r.data.status)))) return false;
      }
      return true;
    },
    'the jobs an accepted request started to settle',
    60_000,
  );
}

interface Outcome {
  readonly key: string;
  readonly status: number;
  /** The request was refused (4xx, a closed socket), so it must have written nothing. */
  readonly refused: boolean;
  readonly problem?: string;
}

async function runCase(runtime: DevRuntime, c: FuzzCase): Promise<Outcome> {
  if (c.kind === 'http') return httpOutcome(runtime, c);
  if (c.kind === 'raw') {
    const answer = await rawBytes(runtime.url, c.bytes);
    return {
      key: `raw ${answer.status || 'closed'}`,
      status: answer.status,
      refused: answer.status === 0 || answer.status >= 400,
    };
  }
  return wsOutcome(runtime, c);
}

async function httpOutcome(runtime: DevRuntime, c: HttpCase): Promise<Outcome> {
  const answer = await rawRequest(runtime.url, {
    method: c.method,
    path: c.path,
    headers: c.headers,
    ...(c.body === undefined ? {} : { body: c.body }),
    ...(c.chunked ? { chunked: true } : {}),
  });
  let problem: string | undefined;
  if (answer.status === 0) problem = 'the connection closed without an answer';
  if (answer.status >= 400 && c.method !== 'HEAD') {
    try {
      const body = JSON.parse(answer.body) as {
        error?: { code?: string; message?: string };
        message?: string;
      };
      if ((body.error?.message ?? body.message ?? '') === '') problem = 'a refusal without a message';
    } catch {
      // The console's and the gateway's own plain answers (a malformed path under /assets) are text.
    }
  }
  return {
    key: `http ${answer.status}`,
    status: answer.status,
    refused: answer.status >= 400 || answer.status === 0,
    ...(problem === undefined ? {} : { problem }),
  };
}

async function wsOutcome(runtime: DevRuntime, c: WsCase): Promise<Outcome> {
  const opened = await rawHandshake(runtime.url, c.path, c.headers).catch(() => ({
    status: 0,
    raw: undefined,
  }));
  const raw = opened.raw;
  if (raw === undefined) {
    return {
      key: `ws handshake ${opened.status || 'closed'}`,
      status: opened.status,
      refused: true,
      ...(c.frame !== undefined ? { problem: `the handshake failed (${opened.status})` } : {}),
    };
  }
  try {
    if (c.frame === undefined) return { key: 'ws handshake 101', status: 101, refused: false };
    raw.send(c.frame);
    if (c.closeCodes !== undefined) {
      const code = await eventually(() => closeCodeOf(raw.received()), `a close frame for ${c.label}`).catch(
        () => undefined,
      );
      return {
        key: `ws close ${code ?? 'none'}`,
        status: 101,
        refused: true,
        ...(code !== undefined && c.closeCodes.includes(code)
          ? {}
          : { problem: `closed with ${code ?? 'nothing'}, expected ${c.closeCodes.join(' or ')}` }),
      };
    }
    // A well-formed frame gets a reply: a text frame (unmasked, short) from the server.
    const reply = await eventually(() => replyOf(raw.received()), `a reply to ${c.label}`).catch(
      () => undefined,
    );
    const code = reply?.code ?? reply?.type ?? 'none';
    return {
      key: `ws reply ${code}`,
      status: 101,
      refused: reply?.type === 'error',
      ...(reply === undefined || code === 'INTERNAL' ? { problem: `replied ${code}` } : {}),
    };
  } finally {
    raw.socket.destroy();
    await raw.ended;
  }
}

/** The first text frame the server sent, parsed. */
function replyOf(received: Buffer): { type?: string; code?: string } | undefined {
  if (received.length < 2 || ((received[0] ?? 0) & 0x0f) !== 0x1) return undefined;
  let length = (received[1] ?? 0) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (received.length < 4) return undefined;
    length = received.readUInt16BE(2);
    offset = 4;
  }
  if (received.length < offset + length) return undefined;
  return JSON.parse(received.subarray(offset, offset + length).toString('utf8')) as {
    type?: string;
    code?: string;
  };
}

/** A normal job, submitted over HTTP and followed over a WebSocket to its end. */
async function normalJob(runtime: DevRuntime): Promise<string> {
  const ws = new WebSocket(`${runtime.wsUrl}?token=${tokenA}`);
  const seen: { type?: string; event?: { type: string; job_id: string } }[] = [];
  ws.on('message', (data) => seen.push(JSON.parse(data.toString())));
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ action: 'subscribe', stream: 'tenant' }));
  await eventually(() => seen.some((m) => m.type === 'subscribed'), 'the final subscription');
  const job = await api<JobRecord>(runtime.url, tokenA, 'POST', '/jobs', {
    pipeline: 'wordcount',
    params: { document_id: 'final', text: 'the end the end' },
  });
  await eventually(
    () =>
      seen.some((m) => m.event?.job_id === job.job_id && ['job.done', 'job.failed'].includes(m.event.type)),
    'the final job to end',
    30_000,
  );
  ws.close();
  const final = await runtime.jobs.get(job.job_id, { tenantId: 'tenant-a' });
  return final.status;
}
