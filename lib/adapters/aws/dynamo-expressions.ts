import type { Expectation, JobChange } from '../../core/ports/index.js';
import { encodeEntry, statusSortKey } from './dynamo-items.js';

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
 * Whether a change moves the job in the by-status index. Only a real status change does: a stage
 * completing from QUEUED to QUEUED (the next stage) writes no index entry. The expectation says
 * what the status was; when it allows several, the index is rewritten to be safe.
 */
export function changesStatus(change: Pick<JobChange, 'expect' | 'set'>): boolean {
  const to = change.set.status;
  if (to === undefined) return false;
  const from = change.expect.status;
  return !(from !== undefined && from.length === 1 && from[0] === to);
}

/**
 * The update of a transition: SET the patch (an undefined value means REMOVE), REMOVE the unset
 * fields, bump the version, and write the history: a replaced entry in place, appended entries
 * after it (as list elements, so the two never name overlapping paths). A status change also
 * moves the job in the by-status index.
 */
export function updateOf(
  change: Pick<JobChange, 'expect' | 'set' | 'unset' | 'append' | 'replace'>,
  jobId: string,
  x: ExpressionBuilder,
  nowIso: string,
): { readonly update: string; readonly conditions: readonly string[] } {
  const sets: string[] = [];
  const conditions: string[] = [];
  const removes = new Set<string>(change.unset ?? []);
  for (const [field, value] of Object.entries(change.set)) {
    if (value === undefined) removes.add(field);
    else {
      removes.delete(field);
      sets.push(`${x.name(field)} = ${x.value(value)}`);
    }
  }
  if (changesStatus(change) && change.set.status !== undefined) {
    sets.push(
      `${x.name('status_since')} = ${x.value(statusSortKey(change.set.status, change.set.updated_at ?? nowIso, jobId))}`,
    );
  }
  sets.push(`${x.name('version')} = ${x.name('version')} + ${x.value(1)}`);
  const append = (change.append ?? []).map(encodeEntry);
  if (change.replace !== undefined) {
    const history = x.name('history');
    const index = change.replace.index;
    // The replaced entry must be the last one (a claim's open run), so appended ones follow it.
    conditions.push(`size(${history}) = ${x.value(index + 1)}`);
    sets.push(`${history}[${index}] = ${x.value(encodeEntry(change.replace.entry))}`);
    append.forEach((line, i) => {
      sets.push(`${history}[${index + 1 + i}] = ${x.value(line)}`);
    });
  } else if (append.length > 0) {
    const history = x.name('history');
    sets.push(`${history} = list_append(if_not_exists(${history}, ${x.value([])}), ${x.value(append)})`);
  }
  const remove = [...removes].map((field) => x.name(field));
  return {
    update: `SET ${sets.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    conditions,
  };
}
