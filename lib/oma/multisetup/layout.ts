import { InvalidOptionError } from '../errors.js';

/**
 * The degrees of freedom of a multi-setup measurement: several setups of one structure that
 * share reference sensors (kept in place) while the other, roving sensors move between setups.
 *
 * References are declared per setup by channel name or index, in the same order in every setup:
 * the k-th reference of each setup is the same sensor (named after the first setup's channel).
 * Every other channel is a roving DOF of its own setup, named `<setup>/<channel>`: channel names
 * are often reused between setups (ch1…ch8) for sensors at different places, so names alone are
 * never taken to mean the same place.
 */
export interface SetupChannels {
  readonly name: string;
  readonly channelNames: readonly string[];
  readonly references: readonly (string | number)[];
}

export interface SetupLayout {
  readonly name: string;
  /** Channel indices of the references, in the shared order. */
  readonly references: readonly number[];
  /** Channel indices of the roving sensors. */
  readonly rovers: readonly number[];
  /** Index in `dofs` of each rover. */
  readonly roverDofs: readonly number[];
}

export interface MultiSetupLayout {
  /** The references (first setup's names), then each setup's rovers. */
  readonly dofs: readonly string[];
  readonly referenceCount: number;
  readonly setups: readonly SetupLayout[];
}

/** Resolves the references and lays out the DOFs; every problem found is reported at once. */
export function multiSetupLayout(setups: readonly SetupChannels[]): MultiSetupLayout {
  const problems: string[] = [];
  if (setups.length < 2)
    problems.push(`a multi-setup analysis needs at least 2 setups, got ${setups.length}`);
  const names = new Set<string>();
  for (const s of setups) {
    if (names.has(s.name)) problems.push(`two setups are named '${s.name}'`);
    names.add(s.name);
  }
  const resolved = setups.map((s) => {
    const refs: number[] = [];
    for (const ref of s.references) {
      const index = typeof ref === 'number' ? ref : s.channelNames.indexOf(ref);
      if (!Number.isInteger(index) || index < 0 || index >= s.channelNames.length) {
        problems.push(
          `setup '${s.name}' has no channel ${typeof ref === 'number' ? `index ${ref}` : `'${ref}'`} (its channels: ${s.channelNames.join(', ')})`,
        );
      } else if (refs.includes(index)) {
        problems.push(`setup '${s.name}' names reference channel '${s.channelNames[index]}' twice`);
      } else refs.push(index);
    }
    if (s.references.length === 0) problems.push(`setup '${s.name}' declares no reference channel`);
    return refs;
  });
  const counts = new Set(setups.map((s) => s.references.length));
  if (counts.size > 1) {
    problems.push(
      `the setups declare different numbers of reference channels (${setups.map((s) => `'${s.name}': ${s.references.length}`).join(', ')}); every setup must measure the same reference sensors, in the same order`,
    );
  }
  if (problems.length > 0) {
    throw new InvalidOptionError(
      'setups',
      `${problems.join('; ')}. The setups share no usable reference: declare, for every setup, the channels of the sensors that stayed in place.`,
    );
  }
  const first = setups[0] as SetupChannels;
  const firstRefs = resolved[0] as number[];
  const dofs = firstRefs.map((i) => first.channelNames[i] as string);
  const layouts = setups.map((s, k) => {
    const refs = resolved[k] as number[];
    const rovers: number[] = [];
    const roverDofs: number[] = [];
    s.channelNames.forEach((channel, i) => {
      if (refs.includes(i)) return;
      rovers.push(i);
      roverDofs.push(dofs.length);
      dofs.push(`${s.name}/${channel}`);
    });
    return { name: s.name, references: refs, rovers, roverDofs };
  });
  return { dofs, referenceCount: firstRefs.length, setups: layouts };
}
