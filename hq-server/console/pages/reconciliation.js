import { api, download, money } from '../api.js';
import { progressLine } from './settlement.js';
import { el, errorBox, section, table, tag } from '../dom.js';

const KIND_NAMES = {
  day_close_missing: '未日结 No day close', missing_events: '缺少事件 Missing events', chain_mismatch: '哈希链不符 Chain mismatch',
  quarantined_event: '隔离事件 Quarantined', tender_total: '支付方式金额不符 Tender total', count: '笔数不符 Count', top_up_total: '充值不符 Top-up total',
  offline_overdraft: '离线透支 Offline overdraft', liability: '储值负债不符 Liability', unexpected_card_flow: '异常储值流动 Unexpected flow', account_cache: '余额缓存不符 Cached balance',
};

function yesterday() {
  const d = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() - 86_400_000));
  return d;
}

/** Applies a quarantined event again once its cause is fixed (needs event.retry). */
function retryButton(terminalId, seq, date) {
  const b = el('button', { class: 'secondary', onclick: async () => {
    b.disabled = true;
    try {
      const r = await api('POST', `/events/${encodeURIComponent(terminalId)}/${seq}/retry`);
      b.replaceWith(tag(r.status === 'applied' ? '已应用 applied' : `仍隔离 still quarantined: ${r.reason}`, r.status === 'applied' ? 'good' : 'bad'));
      if (r.status === 'applied') location.hash = `#/reconciliation?date=${date}&t=${Date.now()}`;
    } catch (e) { b.replaceWith(errorBox(e)); }
  } }, '重试 Retry');
  return b;
}

export async function render(root, { params }) {
  const date = params.get('date') || yesterday();
  const form = el('form', { class: 'row' }, '营业日 Business date ', el('input', { type: 'date', name: 'date', value: date }), el('button', { type: 'submit' }, '对账 Reconcile'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = '#/reconciliation?date=' + new FormData(form).get('date'); });
  root.append(section('对账 Reconciliation', form));
  let r;
  try { r = await api('GET', '/reconciliation?date=' + date); } catch (e) { root.append(errorBox(e)); return; }
  const progress = progressLine();
  const exportButton = (format) => el('button', { class: 'secondary', 'data-export': format, onclick: async () => {
    try { await download(`/reconciliation?date=${date}&format=${format}`, `reconciliation_${date}.${format}`, progress.update); } catch (e) { root.append(errorBox(e)); }
  } }, format === 'xlsx' ? '导出 Excel' : '导出 CSV');
  root.append(section(`差异 Differences — ${r.date}`,
    el('div', { class: 'row' }, exportButton('xlsx'), exportButton('csv'), progress.box),
    r.differences.length === 0 ? el('p', { id: 'no-differences' }, tag('无差异 No differences', 'good')) : table([
      { header: '类型 Kind', cell: (d) => tag(KIND_NAMES[d.kind] || d.kind, 'bad') },
      { header: '终端 Terminal', cell: (d) => d.terminalId || '—' },
      { header: '门店 Store', cell: (d) => d.storeId || '—' },
      { header: '支付 Tender', cell: (d) => d.tender || '' },
      { header: '终端报告 Terminal says', num: true, cell: (d) => (d.terminalSays === undefined ? '' : d.kind === 'count' ? d.terminalSays : money(d.terminalSays)) },
      { header: '总部 HQ has', num: true, cell: (d) => (d.hqHas === undefined ? '' : d.kind === 'count' ? d.hqHas : money(d.hqHas)) },
      { header: '金额 Amount', num: true, cell: (d) => (d.amountMinor === null ? '' : money(d.amountMinor)) },
      { header: '说明 Detail', cell: (d) => d.detail },
      { header: '', cell: (d) => (d.kind === 'quarantined_event' && d.seqs && d.seqs[0] ? retryButton(d.terminalId, d.seqs[0].fromSeq, date) : '') },
    ], r.differences, { id: 'differences' })));
  root.append(section('终端日结 Terminal day closes', table([
    { header: '终端 Terminal', cell: (t) => t.terminalId },
    { header: '门店 Store', cell: (t) => t.storeId },
    { header: '日结 Close', cell: (t) => (t.dayClose ? `seq ${t.dayClose.firstSeq}–${t.dayClose.lastSeq}` : tag('无 none', 'bad')) },
    { header: '链 Chain', cell: (t) => (t.dayClose ? (t.hqChain === t.dayClose.eventsChain ? tag('一致 matches', 'good') : tag('不符 differs', 'bad')) : '') },
    { header: '销售笔数 Sales', num: true, cell: (t) => t.hq.saleCount },
    { header: '收入 Taken in (HQ)', num: true, cell: (t) => money(t.hq.tenders.reduce((s, x) => s + x.salesMinor, 0)) },
    { header: '退款 Paid back (HQ)', num: true, cell: (t) => money(t.hq.tenders.reduce((s, x) => s + x.refundsMinor, 0)) },
    { header: '差异 Differences', num: true, cell: (t) => (t.differences ? tag(String(t.differences), 'bad') : '0') },
  ], r.terminals, { id: 'terminal-closes' })));
  if (r.liability) {
    const l = r.liability;
    root.append(section('储值负债 Stored-value liability (chain-wide)', table([
      { header: '项目 Item', cell: (x) => x[0] },
      { header: '金额 Amount', num: true, cell: (x) => money(x[1]) },
    ], [['期初 Opening', l.openingMinor], ...l.flows.map((f) => [f.code, f.amountMinor]), ['期末（流水）Closing from flows', l.closingFromFlowsMinor], ['会员储值余额 Member balances', l.memberBalancesMinor], ['当前缓存余额 Cached now', l.cachedNowMinor], ['当前按转账 From transfers now', l.transfersNowMinor]], { id: 'liability' })));
  }
}
