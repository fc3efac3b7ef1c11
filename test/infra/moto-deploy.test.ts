import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Moto, motoAvailable, startMoto } from '../../lib/dev/moto.js';
import { LifecycleEvents } from '../../lib/infra/lifecycle-events.js';
import { NO_MODEL_ON_MOTO, SKIPPED_ON_MOTO } from './moto/allowlist.js';
import { deployToMoto } from './moto/deploy.js';
import { formatInventory, takeInventory } from './moto/inventory.js';
import { motoProbes } from './moto/probes.js';
import { synthForMoto } from './moto/synth.js';
import { motoCopy, resourcesByType, templateSchema } from './moto/template.js';

/**
 * Deploys the synthesized stack to moto_server and checks that the deploy cannot look green while
 * moto failed: the stack must be CREATE_COMPLETE, every resource moto lists must exist through its
 * service's API, and the types it did not create must be exactly the allowlist (moto/allowlist.ts).
 */

/** A unique suffix per deploy, so the stacks, queues and buses never meet another test's. */
const suffix = (label: string) => `${label}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** The allowlisted types among those a template has, sorted: what a deploy of it must skip. */
const expectedSkips = (types: Iterable<string>) =>
  [...types].filter((type) => SKIPPED_ON_MOTO[type] !== undefined).sort((a, b) => a.localeCompare(b));

describe('motoCopy (the template moto gets)', () => {
  const events = (): ReturnType<typeof templateSchema.parse> => {
    const stack = new Stack(new App(), 'Copy');
    new LifecycleEvents(stack, 'Events').subscribe('All', {
      bind: () => ({ arn: 'arn:aws:sqs:us-east-1:123456789012:q', id: 'Q' }),
    });
    return templateSchema.parse(Template.fromStack(stack).toJSON());
  };

  it('rewrites only what moto mishandles: the archive pattern as text, a Ref to the bus as its name', () => {
    // Prepare
    const template = events();

    // Act
    const copy = motoCopy(template, NO_MODEL_ON_MOTO);

    // Assess: the synthesized template is untouched; the copy differs in those two places only
    const [archive] = resourcesByType(copy.template).get('AWS::Events::Archive') ?? [];
    const [rule] = resourcesByType(copy.template).get('AWS::Events::Rule') ?? [];
    const [bus] = resourcesByType(copy.template).get('AWS::Events::EventBus') ?? [];
    const busName = copy.template.Resources[String(bus)]?.Properties?.Name;
    expect(typeof copy.template.Resources[String(archive)]?.Properties?.EventPattern).toBe('string');
    expect(copy.template.Resources[String(rule)]?.Properties?.EventBusName).toBe(busName);
    expect(typeof template.Resources[String(archive)]?.Properties?.EventPattern).toBe('object');
    expect(template.Resources[String(rule)]?.Properties?.EventBusName).toEqual({ Ref: bus });
    expect(copy.dropped.size).toBe(0);
  });
});

describe.skipIf(!motoAvailable())('the Stagecoach stack deployed to moto_server', () => {
  let moto: Moto;

  beforeAll(async () => {
    // Its own moto_server, so a failure can show moto's exception (the shared one's log is not ours).
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it('reports a moto failure with its reason instead of looking deployed (the verbatim template)', async () => {
    // Prepare: the bus and its archive as synthesized — moto cannot take the archive's pattern object
    const stack = new Stack(new App(), `Verbatim-${suffix('v')}`);
    new LifecycleEvents(stack, 'Events');
    const template = templateSchema.parse(Template.fromStack(stack).toJSON());
    const synthesized = { stackName: stack.stackName, outdir: '', template, fileAssets: [], imageAssets: 0 };

    // Act
    const deploy = deployToMoto(moto.endpoint, synthesized, {
      skippedTypes: NO_MODEL_ON_MOTO,
      motoError: moto.lastError,
      verbatim: true,
    });

    // Assess: not CREATE_COMPLETE, and the message carries the stack events and moto's exception
    await expect(deploy).rejects.toThrow(
      /CREATE_IN_PROGRESS[\s\S]*JSON object must be str[\s\S]*Stack events/,
    );
  });

  describe.each([
    // wordcount's stages all run on Lambda: no VPC, cluster or scaling.
    { label: 'Lambda-only (wordcount)', services: ['wordcount'], fargate: false },
    // The dev environment's services: oma/analyze runs on Fargate.
    { label: 'full (dev: oma with its Fargate stage, wordcount)', services: undefined, fargate: true },
  ])('$label', ({ services, fargate }) => {
    it('is CREATE_COMPLETE, every resource moto lists exists, and it skips exactly the allowlist', async () => {
      // Prepare
      const stack = synthForMoto({ suffix: suffix(fargate ? 'full' : 'lambda'), services });
      const types = resourcesByType(stack.template);
      expect(types.has('AWS::ECS::TaskDefinition')).toBe(fargate);
      expect(stack.imageAssets).toBe(fargate ? 1 : 0);

      // Act
      const deployment = await deployToMoto(moto.endpoint, stack, {
        skippedTypes: NO_MODEL_ON_MOTO,
        motoError: moto.lastError,
      });
      const inventory = await takeInventory(stack.template, deployment, motoProbes(moto.endpoint));
      process.stdout.write(`\n${formatInventory(stack.stackName, inventory.rows)}\n`);

      // Assess
      expect(deployment.status).toBe('CREATE_COMPLETE');
      expect(inventory.problems).toEqual([]);
      expect(inventory.skippedTypes).toEqual(expectedSkips(types.keys()));
      for (const row of inventory.rows.filter((r) => SKIPPED_ON_MOTO[r.type] === undefined)) {
        expect(row, row.type).toMatchObject({ created: row.inTemplate, skipped: 0 });
      }
      // The parts a moto deploy exists to check are among the created.
      const created = new Set(inventory.rows.filter((r) => r.created > 0).map((r) => r.type));
      for (const type of [
        'AWS::DynamoDB::Table',
        'AWS::SQS::Queue',
        'AWS::Events::Archive',
        'AWS::Lambda::Function',
      ])
        expect(created, type).toContain(type);
      if (fargate) expect(created).toContain('AWS::ECS::TaskDefinition');
    });
  });
});
