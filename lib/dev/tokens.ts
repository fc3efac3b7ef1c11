import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { Caller } from '../core/control/index.js';
import { ConfigError, formatIssues, IdSchema } from '../core/ports/index.js';

/**
 * Static bearer tokens of the local runtimes: each maps to a tenant and a user, standing in for the
 * JWTs Cognito issues in AWS. The file is created with two tenants on first use.
 */
export const TokensFileSchema = z.object({
  tokens: z.record(
    z.string().min(8, 'tokens must be at least 8 characters'),
    z.object({ tenant_id: IdSchema, user_id: z.string().min(1).optional() }).strict(),
  ),
});
export type TokensFile = z.infer<typeof TokensFileSchema>;

export const DEFAULT_TOKENS: TokensFile = {
  tokens: {
    'dev-token-tenant-a': { tenant_id: 'tenant-a', user_id: 'alice' },
    'dev-token-tenant-b': { tenant_id: 'tenant-b', user_id: 'bob' },
  },
};

export class DevTokens {
  readonly #tokens: ReadonlyMap<string, Caller>;

  constructor(file: TokensFile) {
    this.#tokens = new Map(
      Object.entries(file.tokens).map(([token, who]) => [
        token,
        who.user_id === undefined
          ? { tenantId: who.tenant_id }
          : { tenantId: who.tenant_id, userId: who.user_id },
      ]),
    );
  }

  /** Reads the file, creating it with the default tokens when it does not exist. */
  static async load(path: string): Promise<DevTokens> {
    if (!existsSync(path)) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(DEFAULT_TOKENS, null, 2)}\n`);
      return new DevTokens(DEFAULT_TOKENS);
    }
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw new ConfigError(`Token file ${path}`, [
        `is not valid JSON (${error instanceof Error ? error.message : String(error)})`,
      ]);
    }
    const parsed = TokensFileSchema.safeParse(json);
    if (!parsed.success) {
      throw new ConfigError(`Token file ${path}`, [
        `${formatIssues(parsed.error)}; expected {"tokens": {"<token>": {"tenant_id": "...", "user_id": "..."}}}`,
      ]);
    }
    return new DevTokens(parsed.data);
  }

  /** The caller a token belongs to, or undefined. */
  resolve(token: string | undefined): Caller | undefined {
    return token === undefined ? undefined : this.#tokens.get(token);
  }

  /** The caller of an `Authorization: Bearer <token>` header. */
  fromHeader(header: string | undefined): Caller | undefined {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    return this.resolve(match?.[1]);
  }

  list(): readonly { readonly token: string; readonly caller: Caller }[] {
    return [...this.#tokens.entries()].map(([token, caller]) => ({ token, caller }));
  }
}
