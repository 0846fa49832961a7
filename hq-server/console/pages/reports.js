import { api, download, integer, money, today } from '../api.js';
import { chart } from '../charts.js';
import { el, errorBox, section, table } from '../dom.js';
import { progressLine } from './settlement.js';

const formatOf = (type) => (type === 'money' ? (v) => money(v) : type === 'percent' ? (v) => (v === null ? '' : (v * 100).toFixed(1) + '%') : type === 'integer' || type === 'points' ? integer : (v) => (v === null ? '' : String(v)));

export async function render(root, { params }) {
  const { reports, notDone } = await api('GET', '/reports');
  const name = params.get('name') || reports[0].name;
  const to = params.get('to') || today();
  const from = params.get('from') || new Date(Date.parse(to + 'T00:00:00Z') - 29 * 86_400_000).toISOString().slice(0, 10);
  const select = el('select', { name: 'name' }, reports.map((r) => el('option', { value: r.name, selected: r.name === name }, r.title)));
  const form = el('form', { class: 'row' }, select, el('input', { type: 'date', name: 'from', value: from }), ' – ', el('input', { type: 'date', name: 'to', value: to }), el('button', { type: 'submit' }, '查看 Show'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); const f = new FormData(form); location.hash = `#/reports?name=${f.get('name')}&from=${f.get('from')}&to=${f.get('to')}`; });
  root.append(section('报表 Reports', form, notDone.length ? el('p', { class: 'muted' }, notDone.map((n) => `未完成 Not done: ${n.name} — ${n.why}.`).join(' ')) : null));
  const def = reports.find((r) => r.name === name);
  const progress = progressLine();
  const status = el('div');
  const exportButton = (format) => el('button', { class: 'secondary', 'data-export': format, onclick: async () => {
    try { await download(`/reports/${name}?from=${from}&to=${to}&format=${format}`, `${name}.${format}`, progress.update); } catch (e) { status.replaceChildren(errorBox(e)); }
  } }, format === 'xlsx' ? '导出 Excel' : '导出 CSV');
  const box = section(def.title, def.note ? el('p', { class: 'muted' }, def.note) : null, el('div', { class: 'row' }, exportButton('xlsx'), exportButton('csv'), progress.box), status);
  root.append(box);
  if (name === 'sales-detail') { box.append(el('p', { class: 'muted' }, '明细较大，请导出 Large: export it (streamed, with progress).')); return; }
  let r;
  try { r = await api('GET', `/reports/${name}?from=${from}&to=${to}`); } catch (e) { box.append(errorBox(e)); return; }
  if (r.chart && r.rows.length > 0) {
    const labels = Object.fromEntries(r.columns.map((c) => [c.key, c.header]));
    const moneyChart = r.columns.find((c) => c.key === r.chart.series[0])?.type === 'money';
    box.append(chart({ kind: r.chart.kind, rows: r.rows, x: r.chart.x, series: r.chart.series, labels, format: moneyChart ? (v) => money(v).replace(/\.\d\d$/, '') : integer, title: r.title }));
  }
  box.append(table(r.columns.map((c) => ({ header: c.header, num: c.type !== 'text', cell: (row) => formatOf(c.type)(row[c.key]) })), r.rows, { id: 'report-table' }));
}
