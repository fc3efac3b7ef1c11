import { z } from 'zod';

/** The parts of a synthesized CloudFormation template the moto deploy reads and rewrites. */
const resourceSchema = z.looseObject({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
  DependsOn: z.union([z.string(), z.array(z.string())]).optional(),
});
const outputSchema = z.looseObject({ Value: z.unknown() });
export const templateSchema = z.looseObject({
  Resources: z.record(z.string(), resourceSchema),
  Outputs: z.record(z.string(), outputSchema).optional(),
});
export type CfnResource = z.infer<typeof resourceSchema>;
export type CfnTemplate = z.infer<typeof templateSchema>;

/** Logical id → type, and type → logical ids (sorted), of a template. */
export function resourcesByType(template: CfnTemplate): Map<string, string[]> {
  const byType = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    byType.set(resource.Type, [...(byType.get(resource.Type) ?? []), id]);
  }
  for (const ids of byType.values()) ids.sort();
  return new Map([...byType].sort(([a], [b]) => a.localeCompare(b)));
}

/** Every logical id `value` names with `Fn::GetAtt` (`kind: 'getAtt'`) or `Ref` (`kind: 'ref'`). */
export function referencedIds(value: unknown, kind: 'getAtt' | 'ref'): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    for (const [key, arg] of Object.entries(v)) {
      if (kind === 'getAtt' && key === 'Fn::GetAtt' && Array.isArray(arg) && typeof arg[0] === 'string')
        found.add(arg[0]);
      if (kind === 'ref' && key === 'Ref' && typeof arg === 'string') found.add(arg);
      walk(arg);
    }
  };
  walk(value);
  return found;
}

/** `value` with every `{ Ref: id }` whose id is a key of `names` replaced by that name. */
function replaceRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceRefs(item, names));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [only] = entries;
  if (entries.length === 1 && only !== undefined && only[0] === 'Ref' && typeof only[1] === 'string') {
    const name = names.get(only[1]);
    if (name !== undefined) return name;
  }
  return Object.fromEntries(entries.map(([key, v]) => [key, replaceRefs(v, names)]));
}

export interface MotoCopy {
  /** The template CreateStack gets on moto. */
  readonly template: CfnTemplate;
  /** Resources left out of the copy, with why (logical id → reason). */
  readonly dropped: ReadonlyMap<string, string>;
  /** Outputs left out of the copy, with why. */
  readonly droppedOutputs: ReadonlyMap<string, string>;
  /** What else was rewritten, one line each (for the report). */
  readonly rewrites: readonly string[];
}

/**
 * The copy of a synthesized template that moto 5.2 can create. Only this copy is changed; the
 * template AWS gets is left as synthesized. Each rewrite works around a moto defect that AWS does
 * not have, found by deploying the real template (the moto source line is in the comment):
 *
 * 1. `AWS::Events::Archive` `EventPattern` as a JSON string: moto's Archive model `json.loads` the
 *    property as given, and CloudFormation hands it an object (TypeError: the JSON object must be
 *    str, not dict) — its Rule model `json.dumps` it first. AWS accepts the object.
 * 2. `{ Ref: <EventBus> }` as the bus's `Name`: moto's EventBus model has no physical id, so a Ref
 *    resolves to the Python object and a Rule on the bus fails (`'EventBus' object has no attribute
 *    'split'`). On AWS a Ref to a bus is its name, so the copy means the same thing.
 * 3. Custom resources are left out (moto would run their handler in Docker), and so is every
 *    resource that `Fn::GetAtt`s a resource moto skips or a left-out one: moto rejects the whole
 *    stack ("Fn::GetAtt references undefined resource"). `DependsOn` on a left-out resource goes too.
 * 4. Outputs that name a skipped or left-out resource are left out: moto fails CreateStack (a GetAtt
 *    on a type it has no model for) or DescribeStacks (a GetAtt on a resource it did not create).
 */
export function motoCopy(template: CfnTemplate, skippedTypes: ReadonlySet<string>): MotoCopy {
  const resources = structuredClone(template.Resources);
  const rewrites: string[] = [];
  const dropped = new Map<string, string>();

  const busNames = new Map<string, string>();
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::Events::Archive' && typeof resource.Properties?.EventPattern === 'object') {
      resource.Properties.EventPattern = JSON.stringify(resource.Properties.EventPattern);
      rewrites.push(`${id}: EventPattern passed as a JSON string`);
    }
    if (resource.Type === 'AWS::Events::EventBus') {
      const name = resource.Properties?.Name;
      if (typeof name !== 'string') throw new Error(`${id}: an event bus without a literal Name`);
      busNames.set(id, name);
    }
  }
  for (const resource of Object.values(resources)) {
    if (resource.Properties === undefined) continue;
    const before = JSON.stringify(resource.Properties);
    const properties = replaceRefs(resource.Properties, busNames);
    if (JSON.stringify(properties) === before) continue;
    resource.Properties = z.record(z.string(), z.unknown()).parse(properties);
  }
  if (busNames.size > 0) rewrites.push(`Ref to ${[...busNames.keys()].join(', ')} replaced by the bus name`);

  const skipped = (id: string): boolean => {
    const type = resources[id]?.Type;
    return type !== undefined && skippedTypes.has(type);
  };
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type.startsWith('Custom::'))
      dropped.set(id, 'a custom resource (moto runs handlers in Docker)');
  }
  // Leaving a resource out can strand the ones that GetAtt it: repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, resource] of Object.entries(resources)) {
      // A resource moto skips stays: moto ignores it, and a Ref to it resolves (to nothing).
      if (dropped.has(id) || skippedTypes.has(resource.Type)) continue;
      const blocked = [...referencedIds(resource.Properties, 'getAtt')].filter(
        (target) => skipped(target) || dropped.has(target),
      );
      if (blocked.length === 0) continue;
      dropped.set(id, `Fn::GetAtt on ${blocked.map((t) => `${t} (${resources[t]?.Type})`).join(', ')}`);
      changed = true;
    }
  }
  for (const id of dropped.keys()) delete resources[id];
  for (const resource of Object.values(resources)) {
    if (resource.DependsOn === undefined) continue;
    const kept = [resource.DependsOn].flat().filter((dep) => !dropped.has(dep));
    if (kept.length === 0) delete resource.DependsOn;
    else resource.DependsOn = kept;
  }

  const outputs: Record<string, { Value: unknown }> = {};
  const droppedOutputs = new Map<string, string>();
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    const names = [...referencedIds(output.Value, 'getAtt'), ...referencedIds(output.Value, 'ref')];
    const gone = names.filter((id) => skipped(id) || dropped.has(id));
    if (gone.length > 0) droppedOutputs.set(key, `names ${gone.join(', ')}, which moto does not create`);
    else outputs[key] = outputSchema.parse(replaceRefs(output, busNames));
  }
  return {
    template: { ...template, Resources: resources, Outputs: outputs },
    dropped,
    droppedOutputs,
    rewrites,
  };
}
