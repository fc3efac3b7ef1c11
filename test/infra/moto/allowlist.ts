/**
 * The resource types a deploy of the Stagecoach template to moto_server 5.2 does not create, each
 * with why. The moto deploy test asserts that the types it sees skipped are exactly these (among
 * the types the template has), so a type moto newly cannot create — or a resource that fails
 * silently — fails the test, and so does a type moto learns to create (remove it here).
 *
 * "No model": moto's CloudFormation has no implementation of the type; it logs "No Moto
 * CloudFormation support" and leaves the resource out of the stack. "Left out": the type would make
 * moto fail the whole stack, so the copy deployed to moto omits it (test/infra/moto/template.ts).
 */
export interface Skipped {
  /**
   * `no-model`: moto ignores the type. `left-out`: the copy deployed to moto omits it.
   * `listed-only`: moto lists the resource as created, but its effect cannot be seen through the
   * service's API (its probe fails); if the probe ever passes, the test asks to remove the entry.
   */
  readonly kind: 'no-model' | 'left-out' | 'listed-only';
  readonly reason: string;
}

export const SKIPPED_ON_MOTO: Readonly<Record<string, Skipped>> = {
  'AWS::ApiGateway::Account': {
    kind: 'no-model',
    reason: 'the account-level CloudWatch Logs role of API Gateway',
  },
  'AWS::ApiGatewayV2::Api': {
    kind: 'no-model',
    reason: 'the HTTP and WebSocket APIs: moto has API Gateway v2, but not in CloudFormation',
  },
  'AWS::ApiGatewayV2::Authorizer': { kind: 'no-model', reason: 'API Gateway v2' },
  'AWS::ApiGatewayV2::Integration': { kind: 'no-model', reason: 'API Gateway v2' },
  'AWS::ApiGatewayV2::Route': { kind: 'no-model', reason: 'API Gateway v2' },
  'AWS::ApiGatewayV2::Stage': { kind: 'no-model', reason: 'API Gateway v2' },
  'AWS::ApplicationAutoScaling::ScalableTarget': {
    kind: 'no-model',
    reason: "the Fargate services' scaling (from zero to maxTasks)",
  },
  'AWS::ApplicationAutoScaling::ScalingPolicy': {
    kind: 'no-model',
    reason: "the Fargate services' scaling policies",
  },
  'AWS::CDK::Metadata': {
    kind: 'no-model',
    reason: 'not an AWS resource: the CDK version record, ignored by moto',
  },
  'AWS::CloudFront::Distribution': { kind: 'no-model', reason: "the console's CDN" },
  'AWS::CloudFront::OriginAccessControl': {
    kind: 'no-model',
    reason: "the CDN's access to the console bucket",
  },
  'AWS::CloudWatch::Alarm': { kind: 'no-model', reason: 'every alarm of lib/infra/monitoring.ts' },
  'AWS::CloudWatch::Dashboard': {
    kind: 'left-out',
    reason: 'its body names the alarms by Fn::GetAtt, and moto creates no alarm',
  },
  'AWS::Cognito::UserPool': {
    kind: 'no-model',
    reason: "the callers' identity: moto has Cognito, but not in CloudFormation",
  },
  'AWS::Cognito::UserPoolClient': { kind: 'no-model', reason: 'Cognito (see UserPool)' },
  'AWS::Cognito::UserPoolDomain': { kind: 'no-model', reason: 'Cognito (see UserPool)' },
  'AWS::EC2::SubnetRouteTableAssociation': {
    kind: 'listed-only',
    reason:
      "moto keeps CloudFormation's associations apart from the route table's, so DescribeRouteTables does not show them",
  },
  'AWS::ECS::ClusterCapacityProviderAssociations': {
    kind: 'no-model',
    reason: 'Fargate and Fargate Spot capacity on the cluster',
  },
  'AWS::S3::BucketPolicy': { kind: 'no-model', reason: 'TLS-only and CDN access policies of the buckets' },
  'AWS::SNS::Subscription': { kind: 'no-model', reason: "the alarm topic's subscriptions" },
  'AWS::SNS::TopicPolicy': {
    kind: 'no-model',
    reason: "the alarm topic's TLS-only and CloudWatch publish policy",
  },
  'AWS::SQS::QueuePolicy': {
    kind: 'no-model',
    reason: 'TLS-only and EventBridge send policies of the queues',
  },
  'Custom::CDKBucketDeployment': {
    kind: 'left-out',
    reason: 'moto runs custom-resource handlers in Docker, and this one reads the HTTP API URL by Fn::GetAtt',
  },
};

/** The types moto has no CloudFormation model for (the copy leaves out what Fn::GetAtts them). */
export const NO_MODEL_ON_MOTO: ReadonlySet<string> = new Set(
  Object.entries(SKIPPED_ON_MOTO).flatMap(([type, s]) => (s.kind === 'no-model' ? [type] : [])),
);
