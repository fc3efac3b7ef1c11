import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the `stagecoach` command from the sources before any test spawns it, so the tests of the
 * command line always run what the sources say (npm ci builds it too, through `prepare`).
 */
export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../bin/build.mjs', import.meta.url))], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
