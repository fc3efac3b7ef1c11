import type { LimitsConfig } from '../core/control/limits.js';
import { JsonLogger, type Logger, type LogLevel } from '../core/ports/logger.js';
import type { DevBackend } from '../dev/runtime.js';
import { DEV_RECONCILE_GRACE_MS } from '../dev/state-file.js';
import { DEFAULT_URL, UsageError } from './command-kit.js';
import { PrettyLogger } from './dev-log.js';
import { Output } from './output.js';

/** The work of `stagecoach dev` (defined in lib/cli/dev.ts). */

export interface DevFlags {
  readonly backend: DevBackend;
  readonly port: number;
  readonly tokens: string;
  readonly prefix: string;
  readonly data: string;
  /** Memory backend: the file that keeps jobs, holds, dead letters and analyses across restarts. */
  readonly state?: string;
  readonly services?: string[];
  /** Per-tenant limits, as JSON or the path of a JSON file. */
  readonly limits?: string;
  readonly logLevel: LogLevel;
  readonly logFormat?: 'pretty' | 'json';
}

/** What a restart keeps, said plainly in the banner. */
function stateLines(flags: DevFlags): string[] {
  switch (flags.backend) {
    case 'memory':
      return flags.state === undefined
        ? [
            'jobs, events, holds and analyses live in this process: stopping it loses them (--state <file> keeps them).',
            `uploaded files and results are kept in ${flags.data} and outlive it.`,
          ]
        : [
            `jobs, events, holds, dead letters and analyses are kept in ${flags.state} across restarts;`,
            `uploaded files and results in ${flags.data}. Jobs that were waiting or running get their messages back within ${DEV_RECONCILE_GRACE_MS / 1000 + 5} s of a restart.`,
          ];
    case 'moto':
      return ['everything lives in the moto_server started for this run: stopping it loses it all.'];
    case 'endpoint':
      return ['everything lives in the endpoint’s tables, queues and bucket, and outlives this process.'];
  }
}

export async function dev(flags: DevFlags): Promise<number> {
  const json = flags.logFormat === 'json' || (flags.logFormat === undefined && process.stdout.isTTY !== true);
  const out = new Output();
  // JSON logs own stdout; the banner then goes to stderr so the log stays one JSON object a line.
  const banner = json ? (text: string) => out.note(text) : (text: string) => out.line(text);
  const logger: Logger = json
    ? new JsonLogger({ level: flags.logLevel })
    : new PrettyLogger({ level: flags.logLevel, colors: out.c });
  // The runtime, the adapters and every service's code load only for this command.
  const [{ DevRuntime }, { registry }] = await Promise.all([
    import('../dev/runtime.js'),
    import('../pipelines/registry.js'),
  ]);
  let services: ReturnType<typeof registry.select>;
  try {
    services = registry.select(flags.services);
  } catch (error) {
    throw new UsageError(`stagecoach dev: ${error instanceof Error ? error.message : String(error)}`);
  }
  const tenantLimits = flags.limits === undefined ? undefined : await readLimits(flags.limits);
  const runtime = await DevRuntime.start({
    backend: flags.backend,
    services,
    port: flags.port,
    tokensFile: flags.tokens,
    prefix: flags.prefix,
    blobDir: flags.data,
    ...(flags.state === undefined ? {} : { stateFile: flags.state }),
    ...(tenantLimits === undefined ? {} : { tenantLimits }),
    logger,
  }).catch((error: unknown) => {
    // One line that says what to change, not a stack trace.
    const inUse = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
    throw new Error(
      `stagecoach dev: ${inUse ? `port ${flags.port} is in use; pass another with --port` : error instanceof Error ? error.message : String(error)}`,
    );
  });
  const c = json ? out.ce : out.c;
  const pipelines = services.flatMap((s) => s.pipelines);
  const tokens = runtime.tokens.list();
  const [state, ...more] = stateLines(flags);
  const label = (text: string): string => c.dim(text.padEnd(10));
  banner('');
  banner(
    `${c.bold('Stagecoach dev runtime')} (${flags.backend === 'memory' ? 'embedded backend, in this process' : flags.backend})`,
  );
  banner(`  ${label('HTTP API')} ${runtime.url}`);
  banner(`  ${label('WebSocket')} ${runtime.wsUrl}?token=<token>`);
  banner(
    `  ${label('tokens')} ${tokens.map((t) => `${t.token} → ${t.caller.tenantId}`).join(', ')}  (${flags.tokens})`,
  );
  banner(
    `  ${label('pipelines')} ${pipelines.map((p) => `${p.name} (${p.stages.map((s) => s.name).join(' → ')})`).join(', ')}`,
  );
  banner(`  ${label('state')} ${state}`);
  if (tenantLimits !== undefined) banner(`  ${label('limits')} ${JSON.stringify(tenantLimits)}`);
  for (const line of more) banner(`  ${' '.repeat(10)} ${line}`);
  const env = [
    ...(runtime.url === DEFAULT_URL ? [] : [`STAGECOACH_URL=${runtime.url}`]),
    `STAGECOACH_TOKEN=${tokens[0]?.token ?? '<token>'}`,
  ].join(' ');
  banner(`  ${label('try')} export ${env}`);
  banner(
    `  ${' '.repeat(10)} ${
      pipelines.some((p) => p.name === 'wordcount')
        ? 'stagecoach jobs submit wordcount --param document_id=d1 --param text="to be" --watch'
        : 'stagecoach jobs list'
    }`,
  );
  banner(`  ${' '.repeat(10)} stagecoach watch                 # every event, live`);
  banner('');
  banner('Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  logger.info('stopping');
  await runtime.stop();
  return 0;
}

/** `--limits`: JSON itself, or a file that holds it; checked against the limits' schema. */
async function readLimits(value: string): Promise<LimitsConfig> {
  const [{ readFile }, { LimitsConfigSchema }] = await Promise.all([
    import('node:fs/promises'),
    import('../core/control/limits.js'),
  ]);
  let raw = value;
  if (!value.trimStart().startsWith('{')) {
    raw = await readFile(value, 'utf8').catch((error: unknown) => {
      throw new UsageError(
        `stagecoach dev: --limits ${value}: not JSON and not a readable file (${error instanceof Error ? error.message : String(error)})`,
      );
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new UsageError(
      `stagecoach dev: --limits is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const result = LimitsConfigSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new UsageError(`stagecoach dev: --limits: ${problems.join('; ')}`);
  }
  return result.data;
}
