import { spawn } from 'node:child_process';

const bin = new URL('../../bin/stagecoach.mjs', import.meta.url).pathname;

/**
 * Runs the `stagecoach` command in a child process — without blocking this process, which may be
 * serving the API the command talks to. STAGECOACH_TOKEN is cleared so only --token counts.
 */
export function stagecoach(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, STAGECOACH_TOKEN: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
