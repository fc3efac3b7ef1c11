import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ENVIRONMENTS_CONTEXT_KEY, environmentConfig, overridesFromContext } from './config.js';
import { StagecoachStack } from './stack.js';

/** The stack name of an environment: `Stagecoach-dev`, `Stagecoach-staging`, `Stagecoach-prod`. */
export const stackName = (environment: string): string => `Stagecoach-${environment}`;

/**
 * Builds the deployment of the environment named by `-c env=<name>` from its block in cdk.json
 * (validated; a bad key fails the synth with its name) and the alarm subscribers `-c alarmEmails=`
 * or `-c alarmTopicArn=` add, with the cdk-nag AwsSolutions checks run on every synth.
 */
export function buildStagecoachApp(app: App): StagecoachStack {
  const name: unknown = app.node.tryGetContext('env');
  const config = environmentConfig(
    app.node.tryGetContext(ENVIRONMENTS_CONTEXT_KEY),
    name,
    overridesFromContext((key) => app.node.tryGetContext(key)),
  );
  const environment = String(name);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return new StagecoachStack(app, stackName(environment), {
    environmentName: environment,
    config,
    description: `Stagecoach job pipelines and the OMA service (${environment})`,
  });
}
