import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { TENANT_ATTRIBUTE, TENANT_CLAIM } from '../shells/config.js';
import { DEFAULT_REMOVAL_POLICY } from './defaults.js';
import { acknowledge } from './nag.js';

export interface IdentityProps {
  /** @default true: every user sets up a TOTP authenticator */
  readonly requireMfa?: boolean;
  /** @default RemovalPolicy.RETAIN (with deletion protection) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Cognito user pool that signs callers in. A user's tenant is the immutable custom attribute
 * `tenant_id` (claim `custom:tenant_id` in ID tokens), set by an administrator when the user is
 * created: there is no self sign-up, and the app client cannot write the attribute, so nobody can
 * move themselves into another tenant. Plus tier with threat protection enforced.
 */
export class Identity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  /** The JWT claim that carries the tenant. */
  readonly tenantClaim: string = TENANT_CLAIM;

  constructor(scope: Construct, id: string, props: IdentityProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? DEFAULT_REMOVAL_POLICY;
    const requireMfa = props.requireMfa ?? true;
    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: {
        [TENANT_ATTRIBUTE]: new cognito.StringAttribute({ minLen: 1, maxLen: 64, mutable: false }),
      },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: requireMfa ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    if (!requireMfa) {
      acknowledge(
        this.userPool,
        'COG2',
        'MFA is optional only where cdk.json sets auth.mfa to optional (dev), so test users and scripts can sign in with a password; staging and prod require it.',
      );
    }
    const readable = new cognito.ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true })
      .withCustomAttributes(TENANT_ATTRIBUTE);
    this.client = this.userPool.addClient('Client', {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      preventUserExistenceErrors: true,
      readAttributes: readable,
      // Users may change their e-mail, never their tenant.
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
    });
  }
}
