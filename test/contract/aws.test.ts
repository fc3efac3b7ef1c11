import { describe } from 'vitest';
import { awsHarness, motoEndpoint } from './aws-harness.js';
import { describePorts } from './ports-suite.js';
import { describeRuntime } from './runtime-suite.js';

const endpoint = motoEndpoint();

describe.skipIf(endpoint === undefined)('AWS adapters on moto_server: ports', () => {
  describePorts(awsHarness);
});

describe.skipIf(endpoint === undefined)('AWS adapters on moto_server: runtime', () => {
  describeRuntime(awsHarness);
});
