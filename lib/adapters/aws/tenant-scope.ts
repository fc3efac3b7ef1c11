import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The tenant a request is served for, carried through everything the request awaits. The HTTP
 * handler enters it with the authenticated caller's tenant; the tenant-scoped stores read it to
 * choose whose session to use — the caller's, never a tenant an argument names, so a request of
 * tenant A that names tenant B's key reaches IAM with A's credentials and is refused there.
 */
export class TenantScope {
  readonly #current = new AsyncLocalStorage<string>();

  run<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    return this.#current.run(tenantId, work);
  }

  /** The tenant of the request being served; undefined outside one. */
  current(): string | undefined {
    return this.#current.getStore();
  }
}
