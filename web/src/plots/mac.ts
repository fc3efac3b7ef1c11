import type { PlotResult } from './results.js';

/**
 * The MAC matrix as a heat map. It is a small grid of numbers (one row and column per mode), so
 * it is a table — read by screen readers, navigable, every value printed in its cell — whose cells
 * are shaded from 0 (background) to 1 (the accent), plus the same picture as SVG for download.
 */

/** The cell's shade: the MAC value as the accent colour's opacity. */
export const shade = (v: number | undefined): string =>
  v === undefined ? 'transparent' : `rgba(213, 94, 0, ${Math.max(0, Math.min(1, v)).toFixed(3)})`;

/** Dark text on light cells, light text on dark ones. */
export const ink = (v: number | undefined): string =>
  v !== undefined && v > 0.6 ? '#ffffff' : 'currentColor';

export function macTable(result: PlotResult): HTMLTableElement {
  const table = document.createElement('table');
  table.className = 'mac';
  table.dataset.modes = String(result.mac.length);
  const caption = table.createCaption();
  caption.textContent = 'MAC between the identified modes (1 = the same shape, 0 = orthogonal)';
  const head = table.createTHead().insertRow();
  head.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: 'mode' }));
  result.mac.forEach((_, j) => {
    head.append(Object.assign(document.createElement('th'), { scope: 'col', textContent: String(j + 1) }));
  });
  const body = table.createTBody();
  result.mac.forEach((row, i) => {
    const tr = body.insertRow();
    const mode = result.modes[i];
    tr.append(
      Object.assign(document.createElement('th'), {
        scope: 'row',
        textContent: `${i + 1}${mode === undefined ? '' : ` (${mode.frequency.toFixed(2)} Hz)`}`,
      }),
    );
    row.forEach((v) => {
      const td = tr.insertCell();
      td.textContent = v === undefined ? '–' : v.toFixed(2);
      td.style.background = shade(v);
      td.style.color = ink(v);
    });
  });
  return table;
}

export function macSvg(result: PlotResult): string {
  const n = result.mac.length;
  const cell = 44;
  const margin = 40;
  const size = margin + n * cell + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + 24}" viewBox="0 0 ${size} ${size + 24}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="4" y="16" font-weight="bold">MAC matrix</text>`,
  ];
  result.mac.forEach((row, i) => {
    parts.push(
      `<text x="${margin - 8}" y="${24 + margin + i * cell + cell / 2 + 4}" text-anchor="end">${i + 1}</text>`,
    );
    parts.push(
      `<text x="${margin + i * cell + cell / 2}" y="${24 + margin - 8}" text-anchor="middle">${i + 1}</text>`,
    );
    row.forEach((v, j) => {
      const x = margin + j * cell;
      const y = 24 + margin + i * cell;
      parts.push(
        `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(v)}" stroke="#d0d7de"/>`,
      );
      parts.push(
        `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" fill="${v !== undefined && v > 0.6 ? '#ffffff' : '#1b1f24'}">${v === undefined ? '–' : v.toFixed(2)}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}
