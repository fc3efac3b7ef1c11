import { parseArgs } from 'node:util';
import { startMoto } from '../../lib/dev/moto.js';
import { NO_MODEL_ON_MOTO, SKIPPED_ON_MOTO } from './moto/allowlist.js';
import { deployToMoto } from './moto/deploy.js';
import { formatInventory, takeInventory } from './moto/inventory.js';
import { motoProbes } from './moto/probes.js';
import { synthForMoto } from './moto/synth.js';
import { resourcesByType } from './moto/template.js';

/**
 * `npm run deploy:moto [-- --stack lambda|full|both]`: what test/infra/moto-deploy.test.ts checks,
 * for a person to read. Starts its own moto_server, deploys the Lambda-only stack (wordcount) and
 * the full dev stack (oma's Fargate stage included), and prints per resource type how many the
 * template has, how many moto created (and its API confirms), and how many it skipped, and why.
 * Exits 1 if a deploy failed, a listed resource is missing, or the skips differ from the allowlist.
 */
const { values } = parseArgs({ options: { stack: { type: 'string', default: 'both' } } });
const wanted = values.stack;
if (!['lambda', 'full', 'both'].includes(wanted)) {
  process.stderr.write(`--stack must be lambda, full or both (got ${wanted})\n`);
  process.exit(2);
}
const stacks = [
  { label: 'lambda', services: ['wordcount'] },
  { label: 'full', services: undefined },
].filter((s) => wanted === 'both' || s.label === wanted);

const out = (line = '') => process.stdout.write(`${line}\n`);
const moto = await startMoto();
let failed = false;
try {
  for (const { label, services } of stacks) {
    const started = Date.now();
    const stack = synthForMoto({ suffix: `${label}-${Date.now().toString(36)}`, services });
    const synthMs = Date.now() - started;
    let deployment: Awaited<ReturnType<typeof deployToMoto>>;
    try {
      deployment = await deployToMoto(moto.endpoint, stack, {
        skippedTypes: NO_MODEL_ON_MOTO,
        motoError: moto.lastError,
      });
    } catch (error) {
      failed = true;
      out(`\n${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    const inventory = await takeInventory(stack.template, deployment, motoProbes(moto.endpoint));
    out(`\n${formatInventory(stack.stackName, inventory.rows)}`);
    out(
      `status ${deployment.status}; synth ${(synthMs / 1000).toFixed(1)} s, deploy and checks ${((Date.now() - started - synthMs) / 1000).toFixed(1)} s`,
    );
    for (const rewrite of deployment.copy.rewrites) out(`rewritten for moto: ${rewrite}`);
    for (const [id, why] of deployment.copy.dropped) out(`left out for moto: ${id}: ${why.slice(0, 160)}`);
    for (const [key, why] of deployment.copy.droppedOutputs) out(`output left out for moto: ${key}: ${why}`);
    const expected = [...resourcesByType(stack.template).keys()].filter(
      (t) => SKIPPED_ON_MOTO[t] !== undefined,
    );
    const unexpected = inventory.skippedTypes.filter((t) => !expected.includes(t));
    const nowCreated = expected.filter((t) => !inventory.skippedTypes.includes(t));
    for (const type of unexpected) out(`PROBLEM: ${type} skipped but not allowlisted`);
    for (const type of nowCreated)
      out(`PROBLEM: ${type} is allowlisted but moto created it: remove it from allowlist.ts`);
    for (const problem of inventory.problems) out(`PROBLEM: ${problem}`);
    if (unexpected.length + nowCreated.length + inventory.problems.length > 0) failed = true;
  }
} finally {
  await moto.stop();
}
process.exit(failed ? 1 : 0);
