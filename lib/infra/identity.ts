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
  /**
   * Sign-in for the web console through the hosted UI: the authorization-code flow (the console
   * adds PKCE; the client has no secret), to these callback URLs, on this Cognito domain prefix.
   * @default no hosted UI (the console cannot sign in; the CLI and scripts still can)
   */
  readonly console?: {
    readonly domainPrefix: string;
    readonly callbackUrls: readonly string[];
  };
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
  /** The hosted UI's domain (with `console`). */
  readonly domain?: cognito.UserPoolDomain;

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
      // Only the flows the product uses: SRP or password sign-in for the CLI and scripts; for the
      // console, the authorization-code flow (with PKCE, the client has no secret) to its own URLs.
      // Without a console there is no OAuth at all — not CDK's defaults (implicit and code grants,
      // https://example.com, every scope).
      ...(props.console === undefined
        ? { disableOAuth: true }
        : {
            oAuth: {
              flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
              scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL],
              callbackUrls: [...props.console.callbackUrls],
              logoutUrls: [...props.console.callbackUrls],
            },
            supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
          }),
    });
    if (props.console !== undefined) {
      this.domain = this.userPool.addDomain('HostedUi', {
        cognitoDomain: { domainPrefix: props.console.domainPrefix },
      });
    }
  }

  /** The hosted UI's base URL, when the console signs in through it. */
  get hostedUiUrl(): string | undefined {
    return this.domain?.baseUrl();
  }
}
