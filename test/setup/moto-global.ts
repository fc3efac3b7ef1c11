import type { TestProject } from 'vitest/node';
import { motoAvailable, startMoto } from '../../lib/dev/moto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The moto_server endpoint for tests on the AWS adapters; undefined when it is not installed. */
    motoEndpoint: string | undefined;
  }
}

/**
 * Starts one moto_server for the whole run (tests use unique resource names, so files can share
 * it) and stops it at the end. Under CI a missing moto_server fails the run; elsewhere the AWS
 * tests are skipped with the reason printed.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!motoAvailable()) {
    const reason =
      'moto_server is not installed (pip install "moto[server]"), so the AWS adapter tests are skipped.';
    if (process.env.CI === 'true') throw new Error(`CI=true: ${reason.replace('are skipped', 'cannot run')}`);
    process.stderr.write(`\n[stagecoach] ${reason}\n`);
    project.provide('motoEndpoint', undefined);
    return async () => undefined;
  }
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
