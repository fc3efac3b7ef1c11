import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import { DEFAULT_REMOVAL_POLICY, SECURE_BUCKET_PROPS } from './defaults.js';
import { acknowledge, acknowledgeWildcard } from './nag.js';

export interface StorageProps {
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Deletes objects this long after they were written. @default kept */
  readonly expireAfter?: Duration;
  /** Browser origins that may use presigned GET/PUT URLs. @default none (no CORS) */
  readonly corsAllowOrigins?: readonly string[];
  /** How long server access logs are kept. @default 90 days */
  readonly accessLogRetention?: Duration;
}

/**
 * The bucket stages keep inputs and outputs in (the job contract carries keys only): private,
 * encrypted, TLS-only, versioned, with lifecycle rules, and server access logs in a second bucket.
 */
export class Storage extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps = {}) {
    super(scope, id);
    // Server access logs are delivered under a bucket policy, not an ACL (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...SECURE_BUCKET_PROPS,
      removalPolicy,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(90) }],
    });
    acknowledge(
      this.accessLogs,
      'S1',
      'This bucket receives the server access logs of the storage bucket; logging it too would log into itself.',
    );
    const origins = props.corsAllowOrigins ?? [];
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_PROPS,
      removalPolicy,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'storage/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        ...(props.expireAfter === undefined ? [] : [{ id: 'expire-objects', expiration: props.expireAfter }]),
      ],
      ...(origins.length === 0
        ? {}
        : {
            cors: [
              {
                allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.PUT],
                allowedOrigins: [...origins],
                allowedHeaders: ['*'],
                maxAge: 3000,
              },
            ],
          }),
    });
  }

  /**
   * Read, write and delete objects and list the bucket: stage storage, the API's presigned URLs.
   * Objects are named by the stages at run time, so the object grant is `bucket/*`; the finding is
   * acknowledged on the grantee, for this bucket only.
   */
  grantReadWrite(grantee: iam.IGrantable & IConstruct): void {
    const objects = this.bucket.arnForObjects('*');
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        's3:GetObject',
        's3:PutObject',
        's3:DeleteObject',
        's3:AbortMultipartUpload',
        's3:ListMultipartUploadParts',
      ],
      resourceArns: [objects],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    acknowledgeWildcard(
      grantee,
      objects,
      'Stages read and write objects under keys they choose at run time (documents/{tenant}/..., results/...); the grant covers this bucket only.',
    );
  }
}
