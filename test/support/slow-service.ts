import { defineService } from '../../lib/core/api/index.js';
import { definePipeline, defineStage } from '../../lib/core/sdk/index.js';

/**
 * A pipeline whose first stage runs until the job is aborted: a job that stays RUNNING for as long
 * as a test needs, to watch it, feed its watchers events, or lose the API under them.
 */
const wait = defineStage({
  name: 'wait',
  description: 'Runs until the job is aborted.',
  inputs: {},
  outputs: [],
  retry: { maxRetries: 0 },
  async process(_inputs, ctx) {
    await new Promise<void>((_, reject) => {
      ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
    });
    return {};
  },
});

const after = defineStage({
  name: 'after',
  inputs: {},
  outputs: [],
  async process() {
    return {};
  },
});

export const slowService = defineService({
  name: 'slow',
  pipelines: [definePipeline({ name: 'slow', stages: [wait, after] })],
});
