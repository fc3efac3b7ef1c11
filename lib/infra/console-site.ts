import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { DEFAULT_REMOVAL_POLICY, SECURE_BUCKET_PROPS } from './defaults.js';
import { acknowledge, acknowledgeWildcard, acknowledgeWildcardAction } from './nag.js';

export interface ConsoleSiteProps {
  /** The bucket that receives server access logs (the storage's). */
  readonly accessLogs: s3.IBucket;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** The built console. @default web/dist of this checkout (built by `npm run build`) */
  readonly assetsPath?: string;
}

/** What the console reads at run time from `config.json` beside its files. */
export interface ConsoleRuntimeConfig {
  readonly apiUrl: string;
  readonly wsUrl: string;
  /** The Cognito hosted UI's base URL. */
  readonly authDomain: string;
  readonly clientId: string;
}

/**
 * The web console's hosting: its static files in a private bucket (no public access, TLS only,
 * encrypted) read by CloudFront through an origin access control, HTTPS only with the security
 * headers CloudFront manages. `deploy()` uploads web/dist and writes `config.json` (the API's URLs
 * and the hosted UI's client) beside it at deploy time, so one build serves every environment.
 */
export class ConsoleSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly #assetsPath: string;

  constructor(scope: Construct, id: string, props: ConsoleSiteProps) {
    super(scope, id);
    this.#assetsPath = props.assetsPath ?? fileURLToPath(new URL('../../web/dist', import.meta.url));
    this.bucket = new s3.Bucket(this, 'Assets', {
      ...SECURE_BUCKET_PROPS,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console/',
    });
    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: 'Stagecoach web console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      additionalBehaviors: {
        // Read on every load: it names this environment's API and client.
        '/config.json': {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        },
      },
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
    });
    acknowledge(
      this.distribution,
      'CFR1',
      'The console is a sign-in page and static files; who may use it is decided by Cognito, not by country.',
    );
    acknowledge(
      this.distribution,
      'CFR2',
      'Static files behind Cognito sign-in; the API they call is throttled by API Gateway. A WAF web ACL is an account-level choice left to the operator.',
    );
    acknowledge(
      this.distribution,
      'CFR3',
      'CloudFront standard logs need an ACL-enabled bucket, and every bucket here keeps ACLs disabled; the assets bucket itself has server access logs.',
    );
    acknowledge(
      this.distribution,
      'CFR4',
      'The default *.cloudfront.net certificate is used until the operator adds a custom domain; the policy asks for TLS 1.2 (TLSv1.2_2021), which applies with one.',
    );
  }

  /** The console's address, e.g. https://d111111abcdef8.cloudfront.net/ (a callback URL). */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}/`;
  }

  /** The console's origin, for the API's CORS. */
  get origin(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** Uploads the built console and its `config.json`, and invalidates CloudFront's copy. */
  deploy(config: ConsoleRuntimeConfig): s3deploy.BucketDeployment {
    if (!existsSync(this.#assetsPath)) {
      throw new Error(`The console is not built (${this.#assetsPath} is missing): run npm run build first.`);
    }
    // Its own role, without the AWS-managed execution policy CDK would attach: logs go to one group.
    const logGroup = new logs.LogGroup(this, 'DeployLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Uploads the web console into its bucket at deploy time',
    });
    logGroup.grantWrite(role);
    const deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      role,
      logGroup,
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      sources: [
        s3deploy.Source.asset(this.#assetsPath, { exclude: ['report.js', 'report.css', '**/*.map'] }),
        s3deploy.Source.jsonData('config.json', {
          apiUrl: config.apiUrl,
          wsUrl: config.wsUrl,
          auth: { kind: 'cognito', domain: config.authDomain, clientId: config.clientId },
        }),
      ],
      memoryLimit: 256,
      cacheControl: [s3deploy.CacheControl.maxAge(Duration.minutes(5))],
    });
    // The upload runs in CDK's own singleton function (created once per stack) with the role above.
    const why =
      "CDK's bucket-deployment function, a deploy-time helper, copies the console's files from the CDK asset bucket into the console bucket (keys known only at deploy time) and invalidates the distribution (CloudFront has no resource-level permission for that).";
    const stack = Stack.of(this);
    for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
      acknowledgeWildcardAction(role, action, why);
    }
    acknowledgeWildcard(role, '*', why);
    acknowledgeWildcard(role, this.bucket.arnForObjects('*'), why);
    acknowledgeWildcard(
      role,
      `arn:${stack.partition}:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}/*`,
      why,
    );
    const helper = stack.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (helper !== undefined) {
      acknowledge(
        helper,
        'L1',
        "CDK's bucket-deployment function's runtime is chosen by aws-cdk-lib and moves with its upgrades; it runs only while deploying.",
      );
    }
    return deployment;
  }
}
