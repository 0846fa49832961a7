// Charts as inline SVG (no chart library, no CDN: HQ may have no internet). Geometry only is
// computed in floating point; the numbers shown come from the server's integers.

const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#0b5c4a', '#d97706', '#2563eb', '#b42318', '#7c3aed'];

function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A bar or line chart of `rows`: x labels from `x`, one series per key; `format` labels the axis.
 * Returns a <figure> with the SVG and a legend.
 */
export function chart({ kind, rows, x, series, labels = {}, format = String, title = '' }) {
  const W = 900, H = 280, L = 80, R = 16, T = 12, B = 56;
  const values = rows.flatMap((r) => series.map((s) => Number(r[s]) || 0));
  const max = niceMax(Math.max(0, ...values));
  const min = Math.min(0, ...values) < 0 ? -niceMax(-Math.min(...values)) : 0;
  const y = (v) => T + (H - T - B) * (1 - (v - min) / (max - min));
  const band = (W - L - R) / Math.max(1, rows.length);
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  for (let i = 0; i <= 4; i++) {
    const v = min + ((max - min) * i) / 4;
    root.append(svg('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#e3e8ed' }));
    root.append(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, format(Math.round(v))));
  }
  const every = Math.ceil(rows.length / 15);
  rows.forEach((r, i) => {
    if (i % every !== 0) return;
    const label = String(r[x] ?? '');
    root.append(svg('text', { x: L + band * (i + 0.5), y: H - B + 16, 'text-anchor': 'middle' }, label.length > 12 ? label.slice(5) || label.slice(0, 12) : label));
  });
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    if (kind === 'bar') {
      const w = (band * 0.8) / series.length;
      rows.forEach((r, i) => {
        const v = Number(r[s]) || 0;
        const x0 = L + band * i + band * 0.1 + w * k;
        const top = Math.min(y(v), y(0));
        const bar = svg('rect', { x: x0, y: top, width: Math.max(1, w - 1), height: Math.max(0.5, Math.abs(y(v) - y(0))), fill: color });
        bar.append(svg('title', {}, `${r[x]}: ${labels[s] || s} ${format(v)}`));
        root.append(bar);
      });
    } else {
      const points = rows.map((r, i) => `${L + band * (i + 0.5)},${y(Number(r[s]) || 0)}`).join(' ');
      root.append(svg('polyline', { points, fill: 'none', stroke: color, 'stroke-width': 2 }));
      rows.forEach((r, i) => {
        const dot = svg('circle', { cx: L + band * (i + 0.5), cy: y(Number(r[s]) || 0), r: 3, fill: color });
        dot.append(svg('title', {}, `${r[x]}: ${labels[s] || s} ${format(Number(r[s]) || 0)}`));
        root.append(dot);
      });
    }
  });
  const legend = document.createElement('div');
  legend.className = 'legend';
  series.forEach((s, k) => {
    const span = document.createElement('span');
    span.style.setProperty('--c', COLORS[k % COLORS.length]);
    span.textContent = labels[s] || s;
    legend.append(span);
  });
  const fig = document.createElement('figure');
  fig.style.margin = '0';
  fig.append(legend, root);
  return fig;
}
