import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/core/ports/index.js';
import { buildStagecoachApp } from '../lib/infra/app.js';

// The CDK app: `npx cdk synth -c env=dev`, `npx cdk deploy -c env=prod`.
const app = new App();
try {
  buildStagecoachApp(app);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
app.synth();
