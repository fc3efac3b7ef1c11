import { type Command, Option } from 'commander';
import { JsonLogger, type LogLevel } from '../core/ports/index.js';
import type { DevBackend } from '../dev/runtime.js';

/** `stagecoach dev`: the whole deployment on this machine, until Ctrl-C. */
export function registerDevCommand(program: Command): void {
  program
    .command('dev')
    .description(
      'run the API, the WebSocket API and every stage locally, on the embedded backend or an AWS emulator',
    )
    .addOption(
      new Option(
        '--backend <backend>',
        'memory (in process), moto (starts moto_server), endpoint (AWS_ENDPOINT_URL or AWS)',
      )
        .choices(['memory', 'moto', 'endpoint'])
        .default('memory'),
    )
    .option('--port <port>', 'HTTP and WebSocket port', '8787')
    .option('--tokens <file>', 'bearer tokens → tenants', '.stagecoach/dev-tokens.json')
    .option('--prefix <prefix>', 'prefix of queue, table, bus and bucket names', 'dev-')
    .option(
      '--services <names>',
      'services to run, comma-separated names from lib/pipelines/registry.ts (default: every one)',
      (value: string) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
    )
    .option('--data <dir>', 'memory backend: keep blobs in this folder', '.stagecoach/blobs')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .action(
      async (options: {
        backend: DevBackend;
        port: string;
        tokens: string;
        prefix: string;
        data: string;
        services?: string[];
        logLevel: LogLevel;
      }) => {
        const port = Number(options.port);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          program.error(`--port must be a port number (got '${options.port}')`, { exitCode: 2 });
        }
        // The runtime, the adapters and every service's code load only for this command.
        const [{ DevRuntime }, { registry }] = await Promise.all([
          import('../dev/runtime.js'),
          import('../pipelines/registry.js'),
        ]);
        const services = (() => {
          try {
            return registry.select(options.services);
          } catch (error) {
            return program.error(
              `stagecoach dev: ${error instanceof Error ? error.message : String(error)}`,
              {
                exitCode: 2,
              },
            );
          }
        })();
        const pipelines = services.flatMap((s) => s.pipelines);
        const runtime = await DevRuntime.start({
          backend: options.backend,
          services,
          port,
          tokensFile: options.tokens,
          prefix: options.prefix,
          blobDir: options.data,
          logger: new JsonLogger({ level: options.logLevel }),
        }).catch((error: unknown) => {
          // One line that says what to change, not a stack trace.
          const code = (error as NodeJS.ErrnoException).code;
          const message =
            code === 'EADDRINUSE'
              ? `port ${port} is in use; pass another with --port`
              : error instanceof Error
                ? error.message
                : String(error);
          return program.error(`stagecoach dev: ${message}`, { exitCode: 1 });
        });
        console.log(`\nStagecoach dev runtime (${options.backend})`);
        console.log(
          `  HTTP API   ${runtime.url}   (try: curl -H 'authorization: Bearer <token>' ${runtime.url}/jobs)`,
        );
        console.log(`  WebSocket  ${runtime.wsUrl}?token=<token>`);
        for (const { token, caller } of runtime.tokens.list())
          console.log(`  token      ${token}  → tenant ${caller.tenantId}`);
        console.log(
          `  pipelines  ${pipelines.map((p) => `${p.name} (${p.stages.map((s) => s.name).join(' → ')})`).join(', ')}`,
        );
        console.log('\nCtrl-C to stop.');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        console.log('\nstopping...');
        await runtime.stop();
      },
    );
}
