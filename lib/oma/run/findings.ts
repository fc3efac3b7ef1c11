import type { Diagnostic, Harmonic } from '../modal/diagnostics.js';
import type { Mode } from '../modal/types.js';

/**
 * What an analysis collects beside the modes while it runs: diagnostics and harmonics. A
 * diagnostic about a mode names the mode object (`about`), since its index is only known once the
 * modes are final; a diagnostic about a channel names it by its index in the record as given, and
 * gets the channel's name here.
 */
export type Finding = Omit<Diagnostic, 'mode' | 'channel_name'> & { readonly about?: Mode };

export class Findings {
  private readonly items: Finding[] = [];
  readonly harmonics: Harmonic[] = [];

  constructor(private readonly names: readonly string[] = []) {}

  /** How messages name a channel: by its name when known, else by its 0-based index. */
  label(channel: number): string {
    const name = this.names[channel];
    return name === undefined ? `channel ${channel}` : `channel '${name}' (${channel})`;
  }

  add(finding: Finding): void {
    this.items.push(finding);
  }

  addAll(findings: readonly Finding[]): void {
    for (const f of findings) this.items.push(f);
  }

  /** Whether a finding with this code (and channel, when given) is already there. */
  has(code: Diagnostic['code'], channel?: number): boolean {
    return this.items.some((f) => f.code === code && (channel === undefined || f.channel === channel));
  }

  /**
   * The diagnostics, warnings first, each mode finding with its 1-based index into `modes`
   * (findings about a mode that was dropped are dropped with it).
   */
  resolve(modes: readonly Mode[]): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const { about, ...d } of this.items) {
      let mode: number | undefined;
      if (about !== undefined) {
        const i = modes.indexOf(about);
        if (i < 0) continue;
        mode = i + 1;
      }
      const name = d.channel === undefined ? undefined : this.names[d.channel];
      out.push({
        ...d,
        ...(mode === undefined ? {} : { mode }),
        ...(name === undefined ? {} : { channel_name: name }),
      });
    }
    const rank = (d: Diagnostic): number => (d.severity === 'warning' ? 0 : 1);
    return out
      .map((d, i) => ({ d, i }))
      .sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i)
      .map(({ d }) => d);
  }
}
