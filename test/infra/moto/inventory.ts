import { SKIPPED_ON_MOTO } from './allowlist.js';
import type { MotoDeployment } from './deploy.js';
import type { Probe } from './probes.js';
import { type CfnTemplate, resourcesByType } from './template.js';

/** One line of the report: what the template has of a type, and what of it exists on moto. */
export interface TypeRow {
  readonly type: string;
  readonly inTemplate: number;
  /** Listed by moto's CloudFormation and found through the service's own API. */
  readonly created: number;
  /** Not created: moto has no model for the type, or the copy left it out. */
  readonly skipped: number;
  /** Why, for a skipped type (from the allowlist; `NOT ALLOWLISTED` when it is not there). */
  readonly note: string;
}

export interface Inventory {
  readonly rows: readonly TypeRow[];
  /** Types none of whose resources were created, sorted. */
  readonly skippedTypes: readonly string[];
  /** Everything that makes the deploy untrustworthy; empty when all is well. */
  readonly problems: readonly string[];
}

const message = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Compares the synthesized template with what moto reports (ListStackResources) and with what
 * exists (a probe per type through the service's API). A resource moto lists must be found by its
 * probe; a type must be created in full or not at all; and moto's unnamed placeholder entries (what
 * it lists for a resource it has no model for) must match the resources it did not create.
 */
export async function takeInventory(
  template: CfnTemplate,
  deployment: MotoDeployment,
  probes: ReadonlyMap<string, Probe>,
): Promise<Inventory> {
  const listed = new Map(
    deployment.resources.flatMap((r) => (r.LogicalResourceId ? [[r.LogicalResourceId, r] as const] : [])),
  );
  const unnamed = deployment.resources.length - listed.size;
  const problems: string[] = [];
  const physicalIdOf = (logicalId: string): string => {
    const id = listed.get(logicalId)?.PhysicalResourceId;
    if (!id) throw new Error(`moto gives ${logicalId} no physical id`);
    return id;
  };
  const copied = deployment.copy.template.Resources;

  const rows: TypeRow[] = [];
  let notCreatedInCopy = 0;
  for (const [type, ids] of resourcesByType(template)) {
    const outcomes = await Promise.all(
      ids.map(async (id): Promise<'created' | 'skipped'> => {
        const summary = listed.get(id);
        if (deployment.copy.dropped.has(id)) return 'skipped';
        if (summary === undefined) {
          notCreatedInCopy += 1;
          return 'skipped';
        }
        if (summary.ResourceStatus !== 'CREATE_COMPLETE') {
          problems.push(
            `${id} (${type}) is ${summary.ResourceStatus}: ${summary.ResourceStatusReason ?? ''}`,
          );
          return 'skipped';
        }
        const probe = probes.get(type);
        if (probe === undefined) {
          problems.push(`${id}: moto creates ${type}, and test/infra/moto/probes.ts has no probe for it`);
          return 'skipped';
        }
        try {
          await probe({
            logicalId: id,
            physicalId: summary.PhysicalResourceId ?? '',
            properties: copied[id]?.Properties ?? {},
            physicalIdOf,
          });
          return 'created';
        } catch (error) {
          if (SKIPPED_ON_MOTO[type]?.kind === 'listed-only') return 'skipped';
          problems.push(`${id} (${type}) is listed by moto but not as the template says: ${message(error)}`);
          return 'skipped';
        }
      }),
    );
    const created = outcomes.filter((o) => o === 'created').length;
    const skipped = ids.length - created;
    if (created > 0 && skipped > 0) problems.push(`${type}: ${created} of ${ids.length} created`);
    const allowed = SKIPPED_ON_MOTO[type];
    const note =
      skipped === 0 ? '' : allowed === undefined ? 'NOT ALLOWLISTED' : `${allowed.kind}: ${allowed.reason}`;
    rows.push({ type, inTemplate: ids.length, created, skipped, note });
  }
  if (unnamed !== notCreatedInCopy) {
    problems.push(
      `moto lists ${unnamed} unnamed placeholders but left ${notCreatedInCopy} resources of the copy uncreated`,
    );
  }
  const skippedTypes = rows.filter((r) => r.created === 0).map((r) => r.type);
  return { rows, skippedTypes, problems };
}

/** The inventory as a fixed-width table, a total line at the end. */
export function formatInventory(stackName: string, rows: readonly TypeRow[]): string {
  const width = Math.max(...rows.map((r) => r.type.length), 'resource type'.length);
  const line = (type: string, a: string, b: string, c: string, note: string) =>
    `${type.padEnd(width)}  ${a.padStart(8)}  ${b.padStart(7)}  ${c.padStart(7)}  ${note}`.trimEnd();
  const sum = (pick: (r: TypeRow) => number) => String(rows.reduce((n, r) => n + pick(r), 0));
  return [
    `${stackName} on moto_server`,
    line('resource type', 'template', 'created', 'skipped', 'why skipped'),
    ...rows.map((r) => line(r.type, String(r.inTemplate), String(r.created), String(r.skipped), r.note)),
    line(
      'total',
      sum((r) => r.inTemplate),
      sum((r) => r.created),
      sum((r) => r.skipped),
      '',
    ),
  ].join('\n');
}
