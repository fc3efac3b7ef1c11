import type { Expectation, JobPatch, UnsettableField } from '../../core/ports/index.js';
import { statusSortKey } from './dynamo-items.js';

/** Builds a DynamoDB expression with placeholders for every name and value. */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  #n = 0;
  #v = 0;

  name(path: string): string {
    return path
      .split('.')
      .map((part) => {
        const existing = Object.entries(this.names).find(([, value]) => value === part)?.[0];
        if (existing !== undefined) return existing;
        const placeholder = `#n${this.#n++}`;
        this.names[placeholder] = part;
        return placeholder;
      })
      .join('.');
  }

  value(value: unknown): string {
    const placeholder = `:v${this.#v++}`;
    this.values[placeholder] = value;
    return placeholder;
  }
}

/** The condition that makes a transition conditional on its expectation (and on the job existing). */
export function conditionOf(expect: Expectation, x: ExpressionBuilder): string {
  const parts = [`attribute_exists(${x.name('pk')})`];
  if (expect.status !== undefined) {
    parts.push(`${x.name('status')} IN (${expect.status.map((s) => x.value(s)).join(', ')})`);
  }
  if (expect.hop !== undefined) parts.push(`${x.name('hop')} = ${x.value(expect.hop)}`);
  if (expect.stage !== undefined) parts.push(`${x.name('stage')} = ${x.value(expect.stage)}`);
  if (expect.version !== undefined) parts.push(`${x.name('version')} = ${x.value(expect.version)}`);
  if (expect.leaseOwner !== undefined) parts.push(`${x.name('lease.owner')} = ${x.value(expect.leaseOwner)}`);
  if (expect.leaseExpiredBy !== undefined) {
    parts.push(
      `(attribute_not_exists(${x.name('lease')}) OR ${x.name('lease.expires_at')} <= ${x.value(expect.leaseExpiredBy)})`,
    );
  }
  if (expect.noControl === true) {
    parts.push(
      `attribute_not_exists(${x.name('abort_requested')})`,
      `attribute_not_exists(${x.name('pause_requested')})`,
    );
  }
  return parts.join(' AND ');
}

/**
 * The update of a transition: SET the patch (an undefined value means REMOVE), REMOVE the unset
 * fields, and bump the version. A status change also moves the job in the by-status index.
 */
export function updateOf(
  set: JobPatch,
  unset: readonly UnsettableField[],
  x: ExpressionBuilder,
  nowIso: string,
): string {
  const sets: string[] = [];
  const removes = new Set<string>(unset);
  for (const [field, value] of Object.entries(set)) {
    if (value === undefined) removes.add(field);
    else {
      removes.delete(field);
      sets.push(`${x.name(field)} = ${x.value(value)}`);
    }
  }
  if (set.status !== undefined) {
    sets.push(`${x.name('status_since')} = ${x.value(statusSortKey(set.status, set.updated_at ?? nowIso))}`);
  }
  sets.push(`${x.name('version')} = ${x.name('version')} + ${x.value(1)}`);
  const remove = [...removes].map((field) => x.name(field));
  return `SET ${sets.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
}
