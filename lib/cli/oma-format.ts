import type { ResultsAnswer } from '../client/oma.js';
import type { AnalysisRecord } from '../pipelines/oma/schemas.js';

/** Terminal output of `stagecoach oma` and the demo: tables of analyses and of modes. */

/** Columns of numbers are right-aligned, others left-aligned. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = head.map((_, i) => rows.every((r) => /^[-+\d.,%]*$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

const fixed = (value: number | null | undefined, digits: number, scale = 1): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '-' : (value * scale).toFixed(digits);

/** One line per analysis: id, type, status, run, and the modes found or the error. */
export function analysesTable(records: readonly AnalysisRecord[]): string {
  return table(
    ['analysis', 'type', 'status', 'runs', 'updated', 'outcome'],
    records.map((r) => [
      r.analysis_id,
      r.type,
      r.status,
      String(r.run_number),
      r.updated_at.replace('T', ' ').slice(0, 19),
      r.status === 'ERROR'
        ? (r.error?.message ?? '')
        : r.summary !== undefined
          ? `${r.summary.modes.length} modes: ${r.summary.modes.map((m) => m.frequency.toFixed(2)).join(', ')} Hz`
          : r.dataset !== undefined
            ? `dataset ${r.dataset.channels} ch × ${r.dataset.samples} at ${r.dataset.fs} Hz`
            : '',
    ]),
  );
}

/** Everything about one analysis, as `key: value` lines. */
export function analysisDetails(r: AnalysisRecord): string {
  const lines: [string, string][] = [
    ['analysis', `${r.analysis_id} (${r.type}) of structure ${r.structure_id}`],
    ['status', r.status],
    ['parameters', JSON.stringify(r.parameters)],
    ['created', `${r.created_at}${r.created_by === undefined ? '' : ` by ${r.created_by}`}`],
  ];
  if (r.run_id !== undefined) lines.push(['run', `#${r.run_number} ${r.run_id}`]);
  if (r.started_at !== undefined) lines.push(['started', r.started_at]);
  if (r.finished_at !== undefined) lines.push(['finished', r.finished_at]);
  if (r.dataset_key !== undefined) lines.push(['dataset', r.dataset_key]);
  if (r.error !== undefined) lines.push(['error', `${r.error.code}: ${r.error.message}`]);
  if (r.summary !== undefined) {
    lines.push(['modes', r.summary.modes.map((m) => `${m.frequency.toFixed(3)} Hz`).join(', ') || 'none']);
  }
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** The identified modes: frequency, damping, their standard deviations (uncertainty), MPC, and the shapes. */
export function modesTable(answer: ResultsAnswer): string {
  const result = answer.result;
  if (result === null) {
    return answer.truncated === true
      ? `The result is too large to show inline; download it: ${answer.download_url ?? '(no URL)'}`
      : `${answer.type} analyses have no modes (the dataset is ready for FDD and SSI analyses).`;
  }
  const modes = result.modes;
  const merged = multiSetupOf(result);
  const head = `${result.method.toUpperCase()} at ${result.fs.toFixed(3)} Hz: ${modes.length} modes${merged === undefined ? '' : `, ${merged.setups} setups merged by ${merged.merge === 'preger' ? 'PreGER' : 'PoSER'}`}`;
  const rows = modes.map((m, i) => [
    String(i + 1),
    fixed(m.frequency, 4),
    fixed(m.uncertainty?.frequency_std, 4),
    fixed(m.damping, 2, 100),
    fixed(m.uncertainty?.damping_std, 2, 100),
    fixed(m.mpc, 3),
    m.error ?? '',
  ]);
  const parts = [head, '', table(['mode', 'f [Hz]', 'σf [Hz]', 'ζ [%]', 'σζ [%]', 'MPC', 'note'], rows)];
  if (modes.length > 0) {
    parts.push(
      '',
      'Mode shapes (unit max):',
      table(
        ['channel', ...modes.map((_, i) => `mode ${i + 1}`)],
        result.channels.map((name, c) => [name, ...modes.map((m) => fixed(m.shape[c], 3))]),
      ),
    );
  }
  for (const warning of result.warnings) parts.push(`warning: ${warning}`);
  return parts.join('\n');
}

/** A merged result's `multi_setup`, as far as the table needs it. */
function multiSetupOf(result: Record<string, unknown>): { merge: string; setups: number } | undefined {
  const info = result.multi_setup;
  if (info === null || typeof info !== 'object' || !('setups' in info) || !Array.isArray(info.setups))
    return undefined;
  return { merge: 'merge' in info ? String(info.merge) : 'poser', setups: info.setups.length };
}
