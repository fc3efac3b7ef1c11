import { type Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { ApiClient } from '../client/http.js';
import { LiveClient } from '../client/live.js';
import { action, connectionOf, connectionOptions, parameter } from './command-kit.js';
import { openNodeSocket } from './node-socket.js';

/**
 * `stagecoach jobs …` and `stagecoach holds …`: the job API from a terminal. Exit codes: 0
 * success (watch: DONE), 1 failure (watch: FAILED or ABORTED; an API error, printed as
 * `error: HTTP <status> <code>: <message>`), 2 usage.
 */

const TERMINAL = ['DONE', 'FAILED', 'ABORTED'];

const JobSchema = z
  .object({
    job_id: z.string(),
    pipeline: z.string(),
    stage: z.string(),
    status: z.string(),
    hop: z.number(),
    retry_count: z.number(),
    params: z.record(z.string(), z.unknown()),
    created_at: z.string(),
    updated_at: z.string(),
    error: z.object({ code: z.string(), message: z.string() }).loose().optional(),
    progress: z.object({ percent: z.number(), message: z.string().optional() }).loose().optional(),
  })
  .loose();
type Job = z.output<typeof JobSchema>;

const EventSchema = z
  .object({
    type: z.string(),
    stage: z.string(),
    status: z.string(),
    time: z.string(),
    data: z.unknown().optional(),
  })
  .loose();
const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), cursor: z.string().optional() });
const HoldSchema = z
  .object({
    hold_id: z.string(),
    selector: z.record(z.string(), z.string()),
    until: z.string(),
    reason: z.string().optional(),
  })
  .loose();

const enc = encodeURIComponent;

function jobLine(job: Job): string {
  const progress = job.progress === undefined ? '' : ` ${job.progress.percent}%`;
  const error = job.error === undefined ? '' : `  ${job.error.code}: ${job.error.message}`;
  return `${job.job_id}  ${job.pipeline.padEnd(12)} ${job.stage.padEnd(12)} ${job.status.padEnd(13)}${progress}${error}`;
}

function eventLine(event: z.output<typeof EventSchema>): string {
  const data = event.data === undefined ? '' : ` ${JSON.stringify(event.data)}`;
  return `${event.time}  ${event.type.padEnd(16)} ${event.stage.padEnd(12)} ${event.status}${data.length > 160 ? `${data.slice(0, 157)}...` : data}`;
}

/**
 * Follows a job until it ends: its stored event log first, then live events from the WebSocket
 * (each shown once); the job is also polled, as live events may be lost or come out of order.
 */
async function watchJob(api: ApiClient, wsUrl: string, token: string, jobId: string): Promise<number> {
  const live = await LiveClient.connect(wsUrl, token, openNodeSocket);
  const shown = new Set<string>();
  const show = (event: {
    event_id?: string;
    time?: string;
    type: string;
    stage: string;
    status: string;
    data?: unknown;
  }) => {
    if (event.event_id !== undefined) {
      if (shown.has(event.event_id)) return;
      shown.add(event.event_id);
    }
    const data = event.data as { percent?: unknown; message?: unknown } | undefined;
    const detail =
      event.type === 'stage.progress' && typeof data?.percent === 'number'
        ? ` ${data.percent}% ${typeof data.message === 'string' ? data.message : ''}`
        : '';
    console.log(
      `${event.time ?? new Date().toISOString()}  ${event.type.padEnd(16)} ${event.stage.padEnd(12)} ${event.status}${detail}`,
    );
  };
  try {
    live.onMessage((message) => {
      if (message.type === 'event' && message.event.job_id === jobId) show(message.event);
    });
    await live.subscribeJob(jobId);
    const history = await api.call('GET', `/jobs/${enc(jobId)}/events?limit=1000`, page(EventSchema));
    for (const event of history.items) show(event);
    for (;;) {
      const job = await api.call('GET', `/jobs/${enc(jobId)}`, JobSchema);
      if (TERMINAL.includes(job.status)) {
        // The last durable events may still be on their way over the socket; the log has them.
        const log = await api.call('GET', `/jobs/${enc(jobId)}/events?limit=1000`, page(EventSchema));
        for (const event of log.items) show(event);
        console.log(jobLine(job));
        return job.status === 'DONE' ? 0 : 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    live.close();
  }
}

const kv = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got '${value}'`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
};

const json = (value: string): Record<string, unknown> => {
  try {
    return z.record(z.string(), z.unknown()).parse(JSON.parse(value));
  } catch {
    throw new InvalidArgumentError(`--params wants a JSON object, got '${value.slice(0, 60)}'`);
  }
};

interface SubmitFlags {
  readonly params?: Record<string, unknown>;
  readonly param?: Record<string, unknown>;
  readonly entry?: string;
  readonly exit?: string;
  readonly priority?: number;
  readonly tag?: Record<string, string>;
  readonly jobId?: string;
  readonly watch?: boolean;
}

export function registerJobsCommand(program: Command): void {
  const jobs = connectionOptions(program.command('jobs').description('submit, inspect and control jobs'))
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
    .addHelpText(
      'after',
      `
Examples (against \`stagecoach dev\`, token dev-token-tenant-a):
  stagecoach jobs submit wordcount --param document_id=d1 --param text="to be or not to be" --watch
  stagecoach jobs list --status FAILED
  stagecoach jobs replay <job> --param text="fixed"`,
    );
  const client = (command: Command) => {
    const c = connectionOf(command);
    return { ...c, api: new ApiClient(c) };
  };

  jobs
    .command('submit <pipeline>')
    .description('submit a job; prints its id')
    .option('--params <json>', 'params as a JSON object', json)
    .option('--param <key=value>', 'one param (repeatable; JSON values are parsed)', parameter)
    .option('--entry <stage>', 'first stage to run')
    .option('--exit <stage>', 'last stage to run')
    .option('--priority <0-9>', 'priority lane', (v) => Number(v))
    .option('--tag <key=value>', 'a tag, for holds (repeatable)', kv)
    .option('--job-id <id>', 'your id for the job (submitting it again returns the same job)')
    .option('--watch', 'follow the job until it ends')
    .action(
      action(async (pipeline: string, flags: SubmitFlags, command: Command) => {
        const { api, wsUrl, token } = client(command);
        const body = {
          pipeline,
          params: { ...flags.params, ...flags.param },
          ...(flags.entry === undefined ? {} : { entry_stage: flags.entry }),
          ...(flags.exit === undefined ? {} : { exit_stage: flags.exit }),
          ...(flags.priority === undefined ? {} : { priority: flags.priority }),
          ...(flags.tag === undefined ? {} : { tags: flags.tag }),
          ...(flags.jobId === undefined ? {} : { job_id: flags.jobId }),
        };
        const job = await api.call('POST', '/jobs', JobSchema, body);
        console.log(job.job_id);
        return flags.watch === true ? watchJob(api, wsUrl, token, job.job_id) : 0;
      }),
    );

  jobs
    .command('list')
    .description("the tenant's jobs, newest first")
    .option('--status <status>', 'QUEUED, RUNNING, RETRY_WAITING, PAUSED, HELD, DONE, FAILED or ABORTED')
    .option('--pipeline <name>', 'only this pipeline')
    .option('--limit <n>', 'at most this many', '50')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          flags: { status?: string; pipeline?: string; limit: string; json?: boolean },
          command: Command,
        ) => {
          const query = new URLSearchParams({ limit: flags.limit });
          if (flags.status !== undefined) query.set('status', flags.status.toUpperCase());
          if (flags.pipeline !== undefined) query.set('pipeline', flags.pipeline);
          const answer = await client(command).api.call('GET', `/jobs?${query}`, page(JobSchema));
          if (flags.json === true) console.log(JSON.stringify(answer.items, null, 2));
          else for (const job of answer.items) console.log(jobLine(job));
          return 0;
        },
      ),
    );

  jobs
    .command('get <job>')
    .description('one job, as JSON')
    .action(
      action(async (jobId: string, _flags: unknown, command: Command) => {
        console.log(
          JSON.stringify(await client(command).api.call('GET', `/jobs/${enc(jobId)}`, JobSchema), null, 2),
        );
        return 0;
      }),
    );

  for (const [name, description] of [
    ['events', "the job's durable event log"],
    ['attempts', "the job's attempt history"],
  ] as const) {
    jobs
      .command(`${name} <job>`)
      .description(description)
      .action(
        action(async (jobId: string, _flags: unknown, command: Command) => {
          const schema = name === 'events' ? page(EventSchema) : page(z.record(z.string(), z.unknown()));
          const answer = await client(command).api.call(
            'GET',
            `/jobs/${enc(jobId)}/${name}?limit=1000`,
            schema,
          );
          for (const item of answer.items) {
            const parsed = EventSchema.safeParse(item);
            console.log(parsed.success ? eventLine(parsed.data) : JSON.stringify(item));
          }
          return 0;
        }),
      );
  }

  jobs
    .command('watch <job>')
    .description('follow a job live until it ends (exit 0 on DONE)')
    .action(
      action(async (jobId: string, _flags: unknown, command: Command) => {
        const { api, wsUrl, token } = client(command);
        return watchJob(api, wsUrl, token, jobId);
      }),
    );

  jobs
    .command('abort <job>')
    .option('--reason <text>', 'recorded with the abort')
    .description('abort: a waiting job at once, a running stage through its AbortSignal')
    .action(
      action(async (jobId: string, flags: { reason?: string }, command: Command) => {
        const body = flags.reason === undefined ? {} : { reason: flags.reason };
        console.log(
          jobLine(await client(command).api.call('POST', `/jobs/${enc(jobId)}/abort`, JobSchema, body)),
        );
        return 0;
      }),
    );

  for (const verb of ['pause', 'resume'] as const) {
    jobs
      .command(`${verb} <job>`)
      .description(
        verb === 'pause' ? 'pause: a running stage stops and re-runs on resume' : 'resume a paused job',
      )
      .action(
        action(async (jobId: string, _flags: unknown, command: Command) => {
          console.log(
            jobLine(await client(command).api.call('POST', `/jobs/${enc(jobId)}/${verb}`, JobSchema, {})),
          );
          return 0;
        }),
      );
  }

  jobs
    .command('replay <job>')
    .description('run a finished job again from its last stage, or --from another')
    .option('--from <stage>', 'the stage to run from')
    .option('--param <key=value>', 'override a param (repeatable)', parameter)
    .action(
      action(
        async (
          jobId: string,
          flags: { from?: string; param?: Record<string, unknown> },
          command: Command,
        ) => {
          const body = {
            ...(flags.from === undefined ? {} : { from_stage: flags.from }),
            ...(flags.param === undefined ? {} : { params: flags.param }),
          };
          console.log(
            jobLine(await client(command).api.call('POST', `/jobs/${enc(jobId)}/replay`, JobSchema, body)),
          );
          return 0;
        },
      ),
    );

  const holds = connectionOptions(
    program.command('holds').description('park jobs whose tags match, for a while'),
  ).exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
  holds.command('list').action(
    action(async (_flags: unknown, command: Command) => {
      const answer = await client(command).api.call(
        'GET',
        '/holds',
        z.object({ items: z.array(HoldSchema) }),
      );
      for (const h of answer.items)
        console.log(`${h.hold_id}  ${JSON.stringify(h.selector)}  until ${h.until}  ${h.reason ?? ''}`);
      return 0;
    }),
  );
  holds
    .command('set')
    .requiredOption('--selector <key=value>', 'a tag to match (repeatable; all must match)', kv)
    .requiredOption('--ttl <seconds>', 'how long the hold lasts', (v) => Number(v))
    .option('--reason <text>')
    .action(
      action(
        async (
          flags: { selector: Record<string, string>; ttl: number; reason?: string },
          command: Command,
        ) => {
          const body = {
            selector: flags.selector,
            ttl_s: flags.ttl,
            ...(flags.reason === undefined ? {} : { reason: flags.reason }),
          };
          console.log((await client(command).api.call('POST', '/holds', HoldSchema, body)).hold_id);
          return 0;
        },
      ),
    );
  holds
    .command('clear <hold>')
    .description('remove a hold and release the jobs it parked')
    .action(
      action(async (holdId: string, _flags: unknown, command: Command) => {
        const answer = await client(command).api.call(
          'DELETE',
          `/holds/${enc(holdId)}`,
          z.object({ released: z.number() }),
        );
        console.log(`released ${answer.released} job(s)`);
        return 0;
      }),
    );
}
