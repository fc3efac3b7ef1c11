import { type Command, Option } from 'commander';
import { action, integer } from './command-kit.js';
import type { DevFlags } from './dev-run.js';

/** `stagecoach dev`: the whole deployment on this machine, until Ctrl-C (the work: lib/cli/dev-run.ts). */
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
    .option('--port <port>', 'HTTP and WebSocket port (0: any free one)', integer(0, 65_535), 8787)
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
    .option(
      '--data <dir>',
      'memory backend: keep uploaded files and results in this folder',
      '.stagecoach/blobs',
    )
    .option(
      '--state <file>',
      'memory backend: keep jobs, holds, dead letters and analyses in this file across restarts',
    )
    .option(
      '--limits <json-or-file>',
      'per-tenant limits as JSON or a JSON file, e.g. {"default":{"submitsPerMinute":600,"runningPerStage":4}}',
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'pretty lines for a person, or JSON lines (default: pretty on a terminal)',
      ).choices(['pretty', 'json']),
    )
    .action(action(async (flags: DevFlags) => (await import('./dev-run.js')).dev(flags)));
}
