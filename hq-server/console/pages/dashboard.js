import { api, integer, money, today } from '../api.js';
import { chart } from '../charts.js';
import { el, errorBox, section } from '../dom.js';

const tile = (label, value, sub, id) => el('div', { class: 'tile', 'data-tile': id }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, value), sub ? el('div', { class: 'sub' }, sub) : null);

export async function render(root) {
  const d = await api('GET', '/dashboard');
  root.append(
    el('h2', {}, `概览 Dashboard — ${d.date}`),
    el('div', { class: 'tiles' },
      tile('今日销售 Today’s sales', money(d.todaySales.totalMinor), `${integer(d.todaySales.count)} 笔 sales`, 'sales'),
      tile('会员 Members', integer(d.members), null, 'members'),
      tile('储值余额 Stored value outstanding', money(d.storedValueOutstanding.totalMinor), `本金 principal ${money(d.storedValueOutstanding.principalMinor)} · 赠送 bonus ${money(d.storedValueOutstanding.bonusMinor)}`, 'stored-value'),
      tile('积分余额 Points outstanding', integer(d.pointsOutstanding), null, 'points'),
      tile('离线透支 Offline exposure', money(d.offlineExposure.outstandingMinor), d.offlineExposure.outstandingPoints ? `${integer(d.offlineExposure.outstandingPoints)} points` : '未收回 not yet recovered', 'exposure'),
      tile('终端在线 Terminals online', `${d.terminals.online} / ${d.terminals.enrolled}`, `${d.terminals.total} 台 · ${d.terminals.onlineMeans}`, 'terminals'),
    ),
  );
  // The 30 days up to today, or up to the last day with sales when there were none since.
  const to = d.lastSaleDate && d.lastSaleDate < today(d.timeZone) ? d.lastSaleDate : today(d.timeZone);
  const from = new Date(Date.parse(to + 'T00:00:00Z') - 29 * 86_400_000).toISOString().slice(0, 10);
  try {
    const r = await api('GET', `/reports/sales-by-day?from=${from}&to=${to}`);
    root.append(section(`近30天销售 Sales, 30 days to ${to}`, chart({ kind: 'line', rows: r.rows, x: 'date', series: ['sales_minor', 'net_minor'], labels: { sales_minor: '销售 Sales', net_minor: '净额 Net' }, format: (v) => money(v).replace(/\.\d\d$/, '') })));
  } catch (e) {
    root.append(errorBox(e));
  }
}
