import { z } from 'zod';
import type { Clock } from '../ports/clock.js';
import { RateLimitedError } from '../ports/errors.js';
import type { JobStore } from '../ports/job-store.js';

/** What one tenant may do. Absent limits are not enforced (and cost nothing). */
export interface TenantLimits {
  /** Jobs a tenant may submit per minute (idempotent repeats are not counted). */
  readonly submitsPerMinute?: number;
  /** How many of the tenant's jobs may run each stage at once (every stage counted apart). */
  readonly runningPerStage?: number;
  /** Per-stage overrides of `runningPerStage`, keyed `pipeline/stage`. */
  readonly running?: Readonly<Record<string, number>>;
}

/** The limits of a deployment: a default for every tenant, and per-tenant overrides. */
export interface LimitsConfig {
  readonly default?: TenantLimits;
  readonly tenants?: Readonly<Record<string, TenantLimits>>;
}

/** `pipeline/stage`. */
const STAGE_KEY = /^[^/\s]+\/[^/\s]+$/;
const running = z.int().min(1).max(100_000);
const TenantLimitsSchema = z
  .object({
    submitsPerMinute: z.int().min(1).max(1_000_000).optional(),
    runningPerStage: running.optional(),
    running: z
      .record(z.string(), running)
      .superRefine((stages, ctx) => {
        for (const key of Object.keys(stages)) {
          if (!STAGE_KEY.test(key)) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `'${key}' must name a stage as pipeline/stage`,
            });
          }
        }
      })
      .optional(),
  })
  .strict();

/** Limits as configuration writes them (cdk.json, STAGECOACH_LIMITS). */
export const LimitsConfigSchema = z
  .object({
    default: TenantLimitsSchema.optional(),
    tenants: z.record(z.string().min(1).max(128), TenantLimitsSchema).optional(),
  })
  .strict();

const WINDOW_MS = 60_000;

/**
 * Per-tenant submit rate limits, counted in the store (one atomic counter per tenant and minute,
 * forgotten a minute after its window), so every API instance shares them. A fixed window: a
 * tenant may burst up to twice its limit across a window's edge. Over the limit, a submit fails
 * with {@link RateLimitedError} — HTTP 429 with Retry-After the seconds left in the window.
 */
export class SubmitLimiter {
  readonly #store: Pick<JobStore, 'increment'>;
  readonly #clock: Clock;
  readonly #config: LimitsConfig;

  constructor(store: Pick<JobStore, 'increment'>, clock: Clock, config: LimitsConfig = {}) {
    this.#store = store;
    this.#clock = clock;
    this.#config = config;
  }

  /** The tenant's submits per minute, if limited. */
  limitOf(tenantId: string): number | undefined {
    return this.#config.tenants?.[tenantId]?.submitsPerMinute ?? this.#config.default?.submitsPerMinute;
  }

  /** Counts one submit of the tenant; throws when it is over its limit. */
  async take(tenantId: string): Promise<void> {
    const limit = this.limitOf(tenantId);
    if (limit === undefined) return;
    const now = this.#clock.now();
    const window = Math.floor(now / WINDOW_MS);
    const end = (window + 1) * WINDOW_MS;
    const count = await this.#store.increment(tenantId, `submits#${window}`, Math.ceil(end / 1000) + 60);
    if (count <= limit) return;
    const retryAfterS = Math.max(1, Math.ceil((end - now) / 1000));
    throw new RateLimitedError(
      `Tenant '${tenantId}' may submit ${limit} jobs per minute and has reached that; try again in ${retryAfterS} s, or ask for a higher limit.`,
      retryAfterS,
    );
  }
}

/**
 * How many of the tenant's jobs may run the stage `pipeline/stage` at once, if limited: the
 * tenant's own setting for the stage, else its `runningPerStage`, else the default's for the
 * stage, else the default `runningPerStage`.
 */
export function runningLimitOf(config: LimitsConfig, tenantId: string, stageKey: string): number | undefined {
  const own = config.tenants?.[tenantId];
  const base = config.default;
  return (
    own?.running?.[stageKey] ?? own?.runningPerStage ?? base?.running?.[stageKey] ?? base?.runningPerStage
  );
}

/** The `pipeline/stage` keys the limits name that are not stages of this deployment. */
export function unknownStagesIn(config: LimitsConfig, stages: ReadonlySet<string>): string[] {
  const named = [config.default, ...Object.values(config.tenants ?? {})].flatMap((l) =>
    Object.keys(l?.running ?? {}),
  );
  return [...new Set(named)].filter((key) => !stages.has(key)).sort();
}
