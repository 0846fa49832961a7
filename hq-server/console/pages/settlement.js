import { api, download, money } from '../api.js';
import { el, errorBox, section, table, tag } from '../dom.js';

function lastMonth() {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return [first.toISOString().slice(0, 10), last.toISOString().slice(0, 10)];
}

export function progressLine() {
  const bar = el('progress', { max: 1, value: 0 });
  const text = el('span', { class: 'muted' });
  const box = el('span', { class: 'export-progress', hidden: true }, bar, ' ', text);
  return {
    box,
    update(p) {
      box.hidden = false;
      if (p.totalRows && p.rows !== null) { bar.max = p.totalRows; bar.value = Math.min(p.rows, p.totalRows); text.textContent = `${p.rows} / ${p.totalRows} 行 rows`; }
      else { bar.removeAttribute('value'); text.textContent = `${Math.round(p.bytes / 1024)} KB`; }
      if (p.done) { bar.max = 1; bar.value = 1; text.textContent = (text.textContent || '') + ' ✓'; }
    },
  };
}

export async function render(root, { params }) {
  const [defStart, defEnd] = lastMonth();
  const start = params.get('start') || defStart;
  const end = params.get('end') || defEnd;
  const form = el('form', { class: 'row' }, '结算期 Period ', el('input', { type: 'date', name: 'start', value: start }), ' – ', el('input', { type: 'date', name: 'end', value: end }), el('button', { type: 'submit' }, '查看 Show'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); const f = new FormData(form); location.hash = `#/settlement?start=${f.get('start')}&end=${f.get('end')}`; });
  const status = el('div');
  const generate = el('button', { class: 'secondary', id: 'generate', onclick: async () => {
    try { await api('POST', '/settlement/statements', { periodStart: start, periodEnd: end }); location.hash = `#/settlement?start=${start}&end=${end}&t=${Date.now()}`; } catch (e) { status.replaceChildren(errorBox(e)); }
  } }, '生成/重算草稿 Generate drafts');
  root.append(section('结算 Settlement', form, el('div', { class: 'row' }, generate, el('span', { class: 'muted' }, '规则见 Rules: hq-server/SETTLEMENT.md · 正数＝总部支付门店 positive: HQ pays')), status));
  let statements;
  try { ({ statements } = await api('GET', `/settlement/statements?periodStart=${start}&periodEnd=${end}`)); } catch (e) { root.append(errorBox(e)); return; }
  if (statements.length === 0) root.append(section(null, el('p', { class: 'muted' }, '本期无结算单 No statements for this period yet.')));
  for (const st of statements) {
    const progress = progressLine();
    const exportButton = (format) => el('button', { class: 'secondary', 'data-export': format, onclick: async () => {
      try { await download(`/settlement/statements/${st.id}/export?format=${format}`, `settlement.${format}`, progress.update); } catch (e) { status.replaceChildren(errorBox(e)); }
    } }, format === 'xlsx' ? '导出 Excel' : '导出 CSV');
    const confirmButton = st.state === 'draft' ? el('button', { 'data-confirm': st.id, onclick: async () => {
      if (!confirm(`确认后不可修改 Confirm ${st.party}? A confirmed statement never changes; corrections go into the next period.`)) return;
      try { await api('POST', `/settlement/statements/${st.id}/confirm`); location.hash = `#/settlement?start=${start}&end=${end}&t=${Date.now()}`; } catch (e) { status.replaceChildren(errorBox(e)); }
    } }, '确认 Confirm') : null;
    root.append(el('section', { 'data-statement': st.party },
      el('h2', {}, `${st.party} `, tag(st.state === 'confirmed' ? '已确认 confirmed' : '草稿 draft', st.state === 'confirmed' ? 'good' : undefined), ` 净额 Net ${money(st.netMinor, st.currency)}`),
      el('p', { class: 'muted' }, `${st.periodStart} – ${st.periodEnd} · bonus funded by ${st.rules.bonusFundedBy} · franchise fee ${st.rules.franchiseServiceFeeRate}${st.confirmedAt ? ' · confirmed ' + st.confirmedAt + ' by ' + st.confirmedBy : ''}`),
      table([
        { header: '#', cell: (l) => l.lineNo },
        { header: '类型 Kind', cell: (l) => (l.kind === 'adjustment' ? tag('更正 correction', 'bad') : '门店 store') },
        { header: '门店 Store', cell: (l) => l.storeId },
        { header: '充值本金 Issued', num: true, cell: (l) => money(l.issuedPrincipalMinor) },
        { header: '赠送 Bonus issued', num: true, cell: (l) => money(l.issuedBonusMinor) },
        { header: '消费本金 Redeemed', num: true, cell: (l) => money(l.redeemedPrincipalMinor) },
        { header: '消费赠送 Bonus redeemed', num: true, cell: (l) => money(l.redeemedBonusMinor) },
        { header: '承担赠送 Bonus funded', num: true, cell: (l) => money(l.bonusFundedMinor) },
        { header: '服务费 Fee', num: true, cell: (l) => money(l.serviceFeeMinor) },
        { header: '积分抵现 Points', num: true, cell: (l) => money(l.pointsReimbursedMinor) },
        { header: '净额 Net', num: true, cell: (l) => money(l.netMinor) },
      ], st.lines),
      el('div', { class: 'row', style: 'margin-top:8px' }, confirmButton, exportButton('xlsx'), exportButton('csv'), progress.box)));
  }
}
