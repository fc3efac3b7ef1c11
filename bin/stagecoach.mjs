#!/usr/bin/env node
// The `stagecoach` command: JavaScript built from the sources into bin/cli/ by `npm ci` (the
// `prepare` script runs bin/build.mjs), so it starts at once and needs no devDependencies.

// The SDK warns once per process that its 2027 releases need Node 22; the CLI runs on Node 20 by
// design (see README), so the warning is noise here. An explicit setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

try {
  await import('./cli/stagecoach.mjs');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('/bin/cli/stagecoach.mjs')) {
    throw error;
  }
  console.error('stagecoach: the command is not built yet; run `npm run build` (npm ci does it for you).');
  process.exit(1);
}
