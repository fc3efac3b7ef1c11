#!/usr/bin/env node
// Launcher for the `stagecoach` command: the CLI is TypeScript, run through tsx's loader so that
// `npx stagecoach` works straight after `npm ci`, with no build step.
import { tsImport } from 'tsx/esm/api';

// The SDK warns once per process that its 2027 releases need Node 22; the CLI runs on Node 20 by
// design (see README), so the warning is noise here. An explicit setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

await tsImport('./stagecoach.ts', import.meta.url);
