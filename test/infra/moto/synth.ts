import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { z } from 'zod';
import { StagecoachStack } from '../../../lib/infra/stack.js';
import { configOf } from '../support.js';
import { type CfnTemplate, templateSchema } from './template.js';

/** One file asset of the cloud assembly: a directory to zip (a bundle) or a file to upload as is. */
export interface FileAsset {
  readonly path: string;
  readonly packaging: 'zip' | 'file';
  /** With the `${AWS::AccountId}` / `${AWS::Region}` placeholders of the default synthesizer. */
  readonly bucketName: string;
  readonly objectKey: string;
}

export interface SynthesizedStack {
  readonly stackName: string;
  readonly outdir: string;
  readonly template: CfnTemplate;
  readonly fileAssets: readonly FileAsset[];
  /** Image assets are not built: moto's ECS never pulls, so the task definition only names the image. */
  readonly imageAssets: number;
}

const assetManifestSchema = z.object({
  files: z
    .record(
      z.string(),
      z.object({
        source: z.object({ path: z.string(), packaging: z.enum(['zip', 'file']).default('file') }),
        destinations: z.record(z.string(), z.object({ bucketName: z.string(), objectKey: z.string() })),
      }),
    )
    .default({}),
  dockerImages: z.record(z.string(), z.unknown()).default({}),
});

export interface MotoSynthOptions {
  /** Unique per deploy: the stack name and the queue prefix carry it, so stacks can share a moto. */
  readonly suffix: string;
  /** The services to deploy. @default the dev environment's `services` in cdk.json */
  readonly services?: readonly string[];
}

/**
 * Synthesizes the dev environment's stack as `cdk synth -c env=dev` would — bundling every Lambda
 * function with the local esbuild — except for its name and queue prefix (unique per deploy) and,
 * when asked, the services. The cdk-nag checks of bin/app.ts are not run here: other tests do.
 */
export function synthForMoto(options: MotoSynthOptions): SynthesizedStack {
  const stackName = `Stagecoach-moto-${options.suffix}`;
  const config = configOf('dev', {
    queuePrefix: `moto-${options.suffix}-`,
    ...(options.services === undefined ? {} : { services: options.services }),
  });
  const outdir = mkdtempSync(join(tmpdir(), 'stagecoach-moto-synth-'));
  const app = new App({ outdir });
  new StagecoachStack(app, stackName, {
    environmentName: 'dev',
    config,
    description: 'Stagecoach on moto_server (test/infra/moto-deploy.test.ts)',
  });
  app.synth();
  const template = templateSchema.parse(
    JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')),
  );
  const manifest = assetManifestSchema.parse(
    JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')),
  );
  const fileAssets: FileAsset[] = [];
  for (const asset of Object.values(manifest.files)) {
    // The template itself is an asset too; the deploy uploads its moto copy instead.
    if (asset.source.path === `${stackName}.template.json`) continue;
    for (const destination of Object.values(asset.destinations)) {
      fileAssets.push({
        path: join(outdir, asset.source.path),
        packaging: asset.source.packaging,
        ...destination,
      });
    }
  }
  return { stackName, outdir, template, fileAssets, imageAssets: Object.keys(manifest.dockerImages).length };
}
