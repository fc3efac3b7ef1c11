import { createHash } from 'node:crypto';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import {
  BackendUnavailableError,
  type Clock,
  ConfigError,
  IdSchema,
  printable,
  systemClock,
} from '../../core/ports/index.js';
import { NON_TENANT_PARTITIONS } from './dynamo-items.js';

/** The session tag that carries the tenant (`aws:PrincipalTag/tenant` in the role's policy). */
export const TENANT_SESSION_TAG = 'tenant';

/** Temporary credentials of one tenant's session. */
export interface TenantCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** One tenant's session: its credentials, and until when they are handed out (epoch ms). */
export interface TenantSession {
  readonly tenantId: string;
  readonly credentials: TenantCredentials;
  /** `refreshBeforeS` before the credentials expire: from then on, a fresh session is assumed. */
  readonly freshUntil: number;
}

export interface TenantSessionsOptions {
  /** The tenant-session role (`STAGECOACH_TENANT_ROLE_ARN`). */
  readonly roleArn: string;
  /** How long a session lasts (900 to 3600: the role's maximum is 1 hour). @default 3600 */
  readonly durationS?: number;
  /**
   * How long before expiry a session is replaced. It is also the shortest life left in the
   * credentials anything is signed with, so a presigned URL that lives up to this long is never cut
   * short by its credentials (the OMA routes sign for 900 s). @default min(1200, durationS / 2)
   */
  readonly refreshBeforeS?: number;
  /** Tenants whose sessions are kept (least recently used first out). @default 1000 */
  readonly maxTenants?: number;
  readonly clock?: Clock;
}

/**
 * The token vendor: assumes the tenant-session role with a `tenant` session tag, so IAM confines
 * what the credentials reach to that tenant's keys and prefix. Sessions are cached per tenant until
 * `refreshBeforeS` before they expire (a bounded LRU), and the first requests of a tenant that
 * arrive together share one AssumeRole call.
 */
export class TenantSessions {
  readonly #sts: STSClient;
  readonly #roleArn: string;
  readonly #durationS: number;
  readonly #refreshBeforeMs: number;
  readonly #maxTenants: number;
  readonly #clock: Clock;
  /** Insertion order is recency: a hit moves the tenant to the end, the first one is evicted. */
  readonly #sessions = new Map<string, TenantSession>();
  readonly #pending = new Map<string, Promise<TenantSession>>();

  constructor(sts: STSClient, options: TenantSessionsOptions) {
    const durationS = options.durationS ?? 3_600;
    const refreshBeforeS = options.refreshBeforeS ?? Math.min(1_200, Math.floor(durationS / 2));
    const maxTenants = options.maxTenants ?? 1_000;
    const problems: string[] = [];
    if (!Number.isInteger(durationS) || durationS < 900 || durationS > 3_600) {
      problems.push(
        `durationS must be a whole number from 900 to 3600 (STS and the role's maximum), got ${durationS}`,
      );
    }
    if (!Number.isInteger(refreshBeforeS) || refreshBeforeS < 60 || refreshBeforeS > durationS - 60) {
      problems.push(
        `refreshBeforeS must be from 60 to durationS - 60 (${durationS - 60}), got ${refreshBeforeS}: a session must be usable for a while, and replaced before it expires`,
      );
    }
    if (!Number.isInteger(maxTenants) || maxTenants < 1) {
      problems.push(`maxTenants must be a whole number of at least 1, got ${maxTenants}`);
    }
    if (problems.length > 0) throw new ConfigError('Tenant sessions', problems);
    this.#sts = sts;
    this.#roleArn = options.roleArn;
    this.#durationS = durationS;
    this.#refreshBeforeMs = refreshBeforeS * 1_000;
    this.#maxTenants = maxTenants;
    this.#clock = options.clock ?? systemClock;
  }

  /** The tenant's session: cached while fresh, else assumed (once, however many ask at a time). */
  async session(tenantId: string): Promise<TenantSession> {
    assertSessionTenant(tenantId);
    const cached = this.#sessions.get(tenantId);
    if (cached !== undefined && this.#clock.now() < cached.freshUntil) {
      this.#sessions.delete(tenantId);
      this.#sessions.set(tenantId, cached);
      return cached;
    }
    let pending = this.#pending.get(tenantId);
    if (pending === undefined) {
      pending = this.#assume(tenantId).finally(() => this.#pending.delete(tenantId));
      this.#pending.set(tenantId, pending);
    }
    return pending;
  }

  /** How many tenants' sessions are cached. */
  get size(): number {
    return this.#sessions.size;
  }

  async #assume(tenantId: string): Promise<TenantSession> {
    let out: AssumeRoleCommandOutput;
    try {
      out = await this.#sts.send(
        new AssumeRoleCommand({
          RoleArn: this.#roleArn,
          RoleSessionName: roleSessionName(tenantId),
          DurationSeconds: this.#durationS,
          Tags: [{ Key: TENANT_SESSION_TAG, Value: tenantId }],
        }),
      );
    } catch (error) {
      throw this.#unavailable(tenantId, error);
    }
    const c = out.Credentials;
    if (
      c?.AccessKeyId === undefined ||
      c.SecretAccessKey === undefined ||
      c.SessionToken === undefined ||
      c.Expiration === undefined
    ) {
      throw new BackendUnavailableError(
        'STS',
        `AssumeRole of ${this.#roleArn} for tenant '${tenantId}' answered without complete credentials; the request may be repeated.`,
      );
    }
    const credentials: TenantCredentials = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    const session: TenantSession = {
      tenantId,
      credentials,
      freshUntil: credentials.expiration.getTime() - this.#refreshBeforeMs,
    };
    this.#sessions.delete(tenantId);
    this.#sessions.set(tenantId, session);
    for (const oldest of this.#sessions.keys()) {
      if (this.#sessions.size <= this.#maxTenants) break;
      this.#sessions.delete(oldest);
    }
    return session;
  }

  /**
   * Every STS failure is the caller's 503, never a 400 or a crash: nothing in the request is wrong,
   * and a denied AssumeRole is the deployment's problem, which the message names.
   */
  #unavailable(tenantId: string, error: unknown): BackendUnavailableError {
    const name = error instanceof Error ? error.name : 'Unknown';
    const message = error instanceof Error ? error.message : String(error);
    const denied = name === 'AccessDenied' || name === 'AccessDeniedException';
    const hint = denied
      ? `check that ${this.#roleArn} (STAGECOACH_TENANT_ROLE_ARN) is the tenant-session role and that its trust policy lets this function's role call sts:AssumeRole and sts:TagSession with the '${TENANT_SESSION_TAG}' tag`
      : 'STS may answer again shortly; the request can be repeated';
    return new BackendUnavailableError(
      'STS',
      `AssumeRole for tenant '${tenantId}' failed (${name}: ${message}); ${hint}.`,
      { cause: error, context: { operation: 'AssumeRole', tenantId } },
    );
  }
}

/**
 * Refuses, before any call to STS, a tenant id a session must not carry: outside the id grammar
 * (which has no `#`, `*`, `?` or `/` — IAM would read `a#*` as a pattern reaching tenant `a#b`'s
 * keys), or the name of a partition no tenant owns (a tenant `TENANTS` would own the registry).
 */
export function assertSessionTenant(tenantId: string): void {
  if (!IdSchema.safeParse(tenantId).success) {
    throw new ConfigError('Tenant session', [
      `'${printable(tenantId, 60)}' is not a tenant id: use 1-128 letters, digits and . _ : - starting with a letter or digit (never #, * or ?, which IAM would read as a key separator or a wildcard)`,
    ]);
  }
  if (NON_TENANT_PARTITIONS.includes(tenantId)) {
    throw new ConfigError('Tenant session', [
      `'${tenantId}' names a partition of the jobs table that no tenant owns (${NON_TENANT_PARTITIONS.join(', ')}); give the tenant another id`,
    ]);
  }
}

/**
 * A RoleSessionName (2-64 of `[\w+=,.@-]`) that shows the tenant in CloudTrail: characters the
 * name may not hold become `_`, and a long id is cut and suffixed with a hash of the whole id.
 */
export function roleSessionName(tenantId: string): string {
  const name = `tenant-${tenantId.replace(/[^\w+=,.@-]/g, '_')}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(tenantId).digest('hex').slice(0, 8);
  return `${name.slice(0, 55)}-${hash}`;
}
