import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { StagecoachStack } from '../../lib/infra/stack.js';
import { configOf, deployedServices, fastApp, logicalId, permissionsOf } from './support.js';

describe('the web console in the stack', () => {
  let stack: StagecoachStack;
  let template: Template;

  beforeAll(() => {
    stack = new StagecoachStack(fastApp(), 'Console-dev', {
      environmentName: 'dev',
      config: configOf('dev'),
      services: deployedServices,
    });
    template = Template.fromStack(stack);
  });

  it('serves its files from a private bucket through CloudFront with an origin access control, HTTPS only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: { LogFilePrefix: 'console/' },
    });
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        CacheBehaviors: [Match.objectLike({ PathPattern: '/config.json' })],
      }),
    });
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    template.hasOutput('ConsoleUrl', {});
  });

  it('signs in through the hosted UI with the code flow, back to the console and the cdk.json callbacks', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'stagecoach-dev-console' });
    const client = Object.values(template.findResources('AWS::Cognito::UserPoolClient'))[0];
    const props = client?.Properties;
    expect(props?.AllowedOAuthFlows).toEqual(['code']);
    expect(props?.AllowedOAuthScopes).toEqual(['openid', 'email']);
    expect(props?.GenerateSecret).toBe(false);
    expect(JSON.stringify(props?.CallbackURLs)).toContain('http://localhost:8787/');
    expect(JSON.stringify(props?.CallbackURLs)).toContain('DomainName');
  });

  it('lets the console call the API (CORS), and the API read every stage’s queue depths', () => {
    const api = template.findResources('AWS::ApiGatewayV2::Api');
    expect(JSON.stringify(Object.values(api)[0]?.Properties.CorsConfiguration.AllowOrigins)).toContain(
      'DomainName',
    );
    const role = logicalId(stack.httpApi.handler.role);
    const readable = permissionsOf(template, role).get('sqs:GetQueueAttributes') ?? new Set<string>();
    for (const deployed of stack.stages.values()) {
      expect(readable.has(logicalId(deployed.queues.deadLetterQueue))).toBe(true);
    }
  });

  it('deploys no console where the environment has no console block', () => {
    const bare = Template.fromStack(
      new StagecoachStack(fastApp(), 'Console-none', {
        environmentName: 'dev',
        config: configOf('dev', { console: undefined }),
        services: deployedServices,
      }),
    );
    bare.resourceCountIs('AWS::CloudFront::Distribution', 0);
    bare.resourceCountIs('AWS::Cognito::UserPoolDomain', 0);
  });
});
