import { AssumeRoleCommand, type AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertSessionTenant,
  roleSessionName,
  TENANT_SESSION_TAG,
  TenantSessions,
} from '../../../../lib/adapters/aws/tenant-sessions.js';
import { statusOf } from '../../../../lib/core/api/http-api.js';
import {
  BackendUnavailableError,
  ConfigError,
  IdSchema,
  ManualClock,
} from '../../../../lib/core/ports/index.js';

const ROLE = 'arn:aws:iam::123456789012:role/tenant-access';
const sts = mockClient(STSClient);
const region = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } };

afterEach(() => sts.reset());

/** STS's answer: credentials that expire `lifeS` after the clock's now, numbered by call. */
function answerWith(clock: ManualClock, lifeS = 3_600): void {
  let issued = 0;
  sts.on(AssumeRoleCommand).callsFake(() => {
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIA${issued}`,
        SecretAccessKey: 'secret',
        SessionToken: `token-${issued}`,
        Expiration: new Date(clock.now() + lifeS * 1_000),
      },
    };
  });
}

const assumed = (): AssumeRoleCommandInput[] =>
  sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input);

function vendor(clock: ManualClock, options: { maxTenants?: number } = {}) {
  return new TenantSessions(new STSClient(region), { roleArn: ROLE, clock, ...options });
}

describe('TenantSessions (the token vendor)', () => {
  it('assumes the role with exactly one tenant tag, a session name of the tenant and the duration', async () => {
    // Prepare
    const clock = new ManualClock(1_000_000);
    answerWith(clock);

    // Act
    const session = await vendor(clock).session('acme');

    // Assess
    expect(assumed()).toEqual([
      {
        RoleArn: ROLE,
        RoleSessionName: 'tenant-acme',
        DurationSeconds: 3_600,
        Tags: [{ Key: TENANT_SESSION_TAG, Value: 'acme' }],
      },
    ]);
    expect(session.credentials).toMatchObject({ accessKeyId: 'ASIA1', sessionToken: 'token-1' });
    // Handed out until 20 minutes before expiry (the default refreshBeforeS).
    expect(session.freshUntil).toBe(1_000_000 + (3_600 - 1_200) * 1_000);
  });

  it('reuses a tenant’s session while it is fresh and assumes a new one from refreshBeforeS before expiry', async () => {
    // Prepare
    const clock = new ManualClock(0);
    answerWith(clock);
    const sessions = vendor(clock);
    const first = await sessions.session('acme');

    // Act
    clock.advance(first.freshUntil - 1);
    const reused = await sessions.session('acme');
    clock.advance(1);
    const refreshed = await sessions.session('acme');

    // Assess
    expect(reused).toBe(first);
    expect(refreshed.credentials.accessKeyId).toBe('ASIA2');
    // The credentials replaced still had 20 minutes: nothing is signed with less left than that.
    expect(first.credentials.expiration.getTime() - clock.now()).toBe(1_200_000);
    expect(assumed()).toHaveLength(2);
  });

  it('keeps sessions per tenant: another tenant gets its own, with its own tag', async () => {
    const clock = new ManualClock(0);
    answerWith(clock);
    const sessions = vendor(clock);
    const [a, b] = [await sessions.session('acme'), await sessions.session('globex')];
    expect(a.credentials.accessKeyId).not.toBe(b.credentials.accessKeyId);
    expect(assumed().map((input) => input.Tags)).toEqual([
      [{ Key: 'tenant', Value: 'acme' }],
      [{ Key: 'tenant', Value: 'globex' }],
    ]);
  });

  it('shares one AssumeRole among the first requests of a tenant that arrive together', async () => {
    // Prepare: STS answers only after every request has asked.
    const clock = new ManualClock(0);
    let release: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    sts.on(AssumeRoleCommand).callsFake(async () => {
      await answered;
      return {
        Credentials: {
          AccessKeyId: 'ASIA1',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(3_600_000),
        },
      };
    });
    const sessions = vendor(clock);

    // Act
    const waiting = Promise.all(Array.from({ length: 5 }, () => sessions.session('acme')));
    release();
    const got = await waiting;

    // Assess
    expect(assumed()).toHaveLength(1);
    expect(new Set(got).size).toBe(1);
  });

  it('keeps at most maxTenants sessions, dropping the least recently used', async () => {
    // Prepare
    const clock = new ManualClock(0);
    answerWith(clock);
    const sessions = vendor(clock, { maxTenants: 2 });
    await sessions.session('a');
    await sessions.session('b');
    await sessions.session('a'); // a is now the most recent

    // Act
    await sessions.session('c'); // evicts b
    await sessions.session('a');
    await sessions.session('b');

    // Assess
    expect(sessions.size).toBe(2);
    expect(assumed().map((input) => input.Tags?.[0]?.Value)).toEqual(['a', 'b', 'c', 'b']);
  });

  it.each([
    ['a#b', 'is not a tenant id'],
    ['a*', 'is not a tenant id'],
    ['a?', 'is not a tenant id'],
    ['a/b', 'is not a tenant id'],
    ['', 'is not a tenant id'],
    ['TENANTS', 'no tenant owns'],
    ['CONN', 'no tenant owns'],
  ])('refuses tenant %j before it calls STS (%s)', async (tenant, message) => {
    const clock = new ManualClock(0);
    answerWith(clock);
    const refused = vendor(clock).session(tenant);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(message);
    expect(assumed()).toHaveLength(0);
  });

  it('relies on the tenant-id grammar, which has no #, * or ?', () => {
    for (const id of ['a#b', 'a*', '*', 'a?', 'a#*']) expect(IdSchema.safeParse(id).success, id).toBe(false);
    expect(() => assertSessionTenant('tenant-a.b_c:1')).not.toThrow();
  });

  it('turns an STS failure into a retryable BackendUnavailableError (HTTP 503), and tries again next time', async () => {
    // Prepare
    const clock = new ManualClock(0);
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
    let calls = 0;
    sts.on(AssumeRoleCommand).callsFake(() => {
      calls += 1;
      if (calls === 1) throw throttled;
      return {
        Credentials: {
          AccessKeyId: 'ASIA1',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(3_600_000),
        },
      };
    });
    const sessions = vendor(clock);

    // Act
    const error = await sessions.session('acme').catch((e: unknown) => e);
    const after = await sessions.session('acme');

    // Assess
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect(error).toMatchObject({ retryable: true, code: 'BACKEND_UNAVAILABLE' });
    expect(statusOf(error)).toBe(503);
    expect(String(error)).toMatch(/AssumeRole for tenant 'acme' failed \(Throttling: Rate exceeded\)/);
    expect(after.credentials.accessKeyId).toBe('ASIA1');
  });

  it('says what to check when STS denies the role, and still answers 503 (not a 400 or a crash)', async () => {
    const clock = new ManualClock(0);
    const denied = Object.assign(new Error('not authorized to perform: sts:TagSession'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    sts.on(AssumeRoleCommand).rejects(denied);
    const error = await vendor(clock)
      .session('acme')
      .catch((e: unknown) => e);
    expect(statusOf(error)).toBe(503);
    expect(String(error)).toMatch(/STAGECOACH_TENANT_ROLE_ARN.*sts:AssumeRole and sts:TagSession/);
  });

  it('treats an answer without complete credentials as unavailable', async () => {
    sts.on(AssumeRoleCommand).resolves({ Credentials: undefined });
    await expect(vendor(new ManualClock(0)).session('acme')).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it('refuses settings outside what STS and the role allow, naming each', () => {
    const make = (options: { durationS?: number; refreshBeforeS?: number; maxTenants?: number }) => () =>
      new TenantSessions(new STSClient(region), { roleArn: ROLE, ...options });
    expect(make({ durationS: 7_200 })).toThrow(/durationS must be a whole number from 900 to 3600/);
    expect(make({ durationS: 900, refreshBeforeS: 900 })).toThrow(/refreshBeforeS must be from 60/);
    expect(make({ maxTenants: 0 })).toThrow(/maxTenants/);
    expect(make({ durationS: 900 })).not.toThrow();
  });
});

describe('roleSessionName', () => {
  it('keeps the tenant readable, within 64 characters of [\\w+=,.@-]', () => {
    expect(roleSessionName('acme')).toBe('tenant-acme');
    expect(roleSessionName('org:acme')).toBe('tenant-org_acme');
    const long = roleSessionName('a'.repeat(128));
    const alsoLong = roleSessionName(`${'a'.repeat(127)}b`);
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^[\w+=,.@-]{2,64}$/);
    expect(long).not.toBe(alsoLong);
  });
});
