#!/usr/bin/env node
// Launcher for the `stagecoach` command: the CLI is TypeScript, run through tsx's loader so that
// `npx stagecoach` works straight after `npm ci`, with no build step.
import { tsImport } from 'tsx/esm/api';

await tsImport('./stagecoach.ts', import.meta.url);
