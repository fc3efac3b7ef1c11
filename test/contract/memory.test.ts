import { describe } from 'vitest';
import { memoryHarness } from './memory-harness.js';
import { describePorts } from './ports-suite.js';
import { describeRuntime } from './runtime-suite.js';

describe('memory backend: ports', () => {
  describePorts(memoryHarness);
});

describe('memory backend: runtime', () => {
  describeRuntime(memoryHarness);
});
