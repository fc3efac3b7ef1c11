import { type Command, InvalidArgumentError, Option } from 'commander';
import type { AnalyzeFlags } from './analyze-run.js';

/**
 * `stagecoach analyze <file.csv>`: the OMA engine on a CSV file, without the pipeline.
 * Exit codes: 0 success, 2 usage (bad options), 1 bad data or failure. Errors are one line on
 * stderr, never a stack trace.
 */

const positive =
  (name: string) =>
  (value: string): number => {
    const v = Number(value);
    if (!Number.isFinite(v) || v <= 0)
      throw new InvalidArgumentError(`${name} must be a positive number, got '${value}'.`);
    return v;
  };

const nonNegative =
  (name: string) =>
  (value: string): number => {
    const v = Number(value);
    if (!Number.isFinite(v) || v < 0)
      throw new InvalidArgumentError(`${name} must be a number ≥ 0, got '${value}'.`);
    return v;
  };

const integer =
  (name: string, min: number) =>
  (value: string): number => {
    const v = Number(value);
    if (!Number.isInteger(v) || v < min)
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${value}'.`);
    return v;
  };

const decimation = (value: string): number | 'auto' =>
  value === 'auto' ? 'auto' : integer('--decimate', 1)(value);

export function registerAnalyzeCommand(program: Command): void {
  program
    .command('analyze')
    .description('Identify the modes of a multichannel acceleration CSV file (FDD, EFDD or SSI-cov)')
    .argument(
      '<file.csv>',
      'measurement file: one column per channel, optional header row and leading time column',
    )
    .option('--fs <Hz>', 'sampling rate (optional when the file has a time column)', positive('--fs'))
    .addOption(
      new Option('--method <method>', 'identification method').choices(['fdd', 'efdd', 'ssi']).default('ssi'),
    )
    .option('--decimate <q>', "integer decimation factor, or 'auto' (new Nyquist ≥ 2.5·fmax)", decimation)
    .option('--br <n>', 'SSI block rows (default from fs and fmin)', integer('--br', 2))
    .option(
      '--order-max <n>',
      'SSI highest model order (default 100, capped by the Toeplitz size)',
      integer('--order-max', 2),
    )
    .option(
      '--nperseg <n>',
      'Welch segment length for FDD/EFDD (default: largest power of two ≤ N/8)',
      integer('--nperseg', 8),
    )
    .option('--fmin <Hz>', 'lowest frequency of interest', nonNegative('--fmin'))
    .option(
      '--fmax <Hz>',
      'highest frequency of interest (default: chosen from the data)',
      positive('--fmax'),
    )
    .option(
      '--exclude <channels>',
      'channels to leave out, comma-separated names or 0-based indices (dead channels are left out anyway)',
    )
    .option(
      '--json',
      'print {"modes", "band", "harmonics", "diagnostics", "excluded_channels", "timings_s"} as JSON',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  stagecoach analyze record.csv --fs 200 --method ssi --fmax 20 --json\n  stagecoach analyze record.csv --method efdd   # fs from the time column',
    )
    .action(async (file: string, flags: AnalyzeFlags) => {
      // The engine loads only for this command, so the rest of the CLI starts at once.
      const { runAnalyze } = await import('./analyze-run.js');
      process.exitCode = await runAnalyze(file, flags);
    });
}
