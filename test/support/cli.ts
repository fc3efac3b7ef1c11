import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from './wait.js';

const bin = new URL('../../bin/stagecoach.mjs', import.meta.url).pathname;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a command runs in: STAGECOACH_* cleared so only flags count, unless given. */
function envFor(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, STAGECOACH_TOKEN: '' };
  for (const key of ['STAGECOACH_URL', 'STAGECOACH_WS_URL', 'FORCE_COLOR', 'NO_COLOR']) delete env[key];
  return { ...env, ...extra };
}

/**
 * Runs the `stagecoach` command in a child process — without blocking this process, which may be
 * serving the API the command talks to. Its output is piped (not a terminal).
 */
export function stagecoach(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const running = startStagecoach(args, env);
  return running.exited;
}

export interface RunningCli {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once the output holds `text` (a command that keeps running, like a watch). */
  readonly until: (text: string | RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number) => Promise<void>;
  readonly exited: Promise<CliResult>;
}

/** Starts `stagecoach` and lets the test read its output while it runs. */
export function startStagecoach(args: readonly string[], env?: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [bin, ...args], { env: envFor(env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    until: (text, stream = 'stdout', timeoutMs = 60_000) =>
      eventually(
        () => {
          const output = stream === 'stdout' ? stdout : stderr;
          return typeof text === 'string' ? output.includes(text) : text.test(output);
        },
        `${String(text)} on the ${stream} of stagecoach ${args.join(' ')} (stdout: ${stdout.slice(-300)}; stderr: ${stderr.slice(-300)})`,
        timeoutMs,
      ).then(() => undefined),
    exited,
  };
}
