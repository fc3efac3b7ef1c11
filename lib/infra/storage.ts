import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_REMOVAL_POLICY, SECURE_BUCKET_PROPS } from './defaults.js';
import { acknowledge } from './nag.js';

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
}
