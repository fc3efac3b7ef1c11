import { InvalidParamError } from './errors.js';

const ADDRESS = /^[A-Za-z0-9._:/-]+$/;

/** Tenants, collections and ids are keys in every store: 1-200 characters of letters, digits and . _ : / -. */
export function assertRecordAddress(tenantId: string, collection: string, id: string): void {
  for (const [what, value] of [
    ['tenant', tenantId],
    ['collection', collection],
    ['id', id],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 200 || !ADDRESS.test(value)) {
      throw new InvalidParamError(
        what,
        `Record ${what} '${String(value).slice(0, 60)}' must be 1-200 characters of letters, digits and . _ : / -.`,
      );
    }
  }
}
