import { api, integer, money, time } from '../api.js';
import { el, errorBox, section, table, tag } from '../dom.js';

const CODE_NAMES = {
  TOPUP: '充值 Top-up', TOPUP_BONUS: '充值赠送 Bonus', SALE_STORED_VALUE: '储值消费 Stored-value sale', REFUND_STORED_VALUE: '退回储值 Refund',
  POINTS_EARNED: '积分获得 Points earned', POINTS_REDEEMED: '积分抵现 Points paid', POINTS_REVERSED: '退货扣积分 Points reversed', POINTS_RESTORED: '退货退积分 Points restored',
  POINTS_EXPIRED: '积分过期 Points expired', POINTS_ADJUSTED: '积分调整 Points adjusted', STORED_VALUE_ADJUSTED: '储值调整 Stored value adjusted',
  OPENING_BALANCE: '期初储值 Opening balance', OPENING_POINTS: '期初积分 Opening points', CARD_REPLACEMENT: '换卡 Card replacement', BALANCE_TRANSFER: '余额转移 Balance transfer',
  GIFT_REDEMPTION: '积分兑礼 Gift', REBATE: '返利 Rebate', TOPUP_REFUND: '退充值 Top-up refund', TOPUP_BONUS_CLAWBACK: '收回赠送 Bonus clawback',
};

export async function render(root, { args }) {
  const id = args[0];
  const m = await api('GET', '/members/' + encodeURIComponent(id));
  const isPoints = (t) => t.ledger === 'POINTS';
  const amount = (t) => (isPoints(t) ? integer(t.amount) + ' 分' : money(t.amount, t.ledger));
  const totalSv = m.cards.reduce((s, c) => s + c.principal.posted + c.bonus.posted, 0);
  root.append(
    section(`会员 ${m.name}`,
      el('p', { id: 'member-profile' },
        `手机 ${m.phone} · 生日 ${m.birthday || '—'} · 门店 ${m.homeStore.name} (${m.homeStore.id}) · 会员号 ${m.id} · `,
        tag(`等级 ${m.level.name} (${m.level.code})`, 'good')),
      el('div', { class: 'tiles' },
        el('div', { class: 'tile' }, el('div', { class: 'label' }, '储值 Stored value'), el('div', { class: 'value', id: 'member-stored-value' }, money(totalSv))),
        el('div', { class: 'tile' }, el('div', { class: 'label' }, '积分 Points'), el('div', { class: 'value', id: 'member-points' }, integer(m.points.posted)), m.points.held ? el('div', { class: 'sub' }, `冻结 held ${integer(m.points.held)}`) : null)),
    ),
    section('卡 Cards', table([
      { header: '卡号 Card', cell: (c) => c.cardNo },
      { header: '介质 Medium', cell: (c) => c.medium },
      { header: '状态 Status', cell: (c) => tag(c.status, c.status === 'active' ? 'good' : 'bad') },
      { header: '有效期 Expires', cell: (c) => c.expiresOn || '—' },
      { header: '本金 Principal', num: true, cell: (c) => money(c.principal.posted, c.currency || 'CNY') },
      { header: '赠送 Bonus', num: true, cell: (c) => money(c.bonus.posted, c.currency || 'CNY') },
      { header: '冻结 Held', num: true, cell: (c) => money(c.principal.held + c.bonus.held, c.currency || 'CNY') },
    ], m.cards, { id: 'member-cards' })),
  );
  // Every transaction in the operator's scope (the profile carries only the latest few).
  let all = m.transactions;
  try {
    const more = await api('GET', `/members/${encodeURIComponent(id)}/transactions?limit=200`);
    if (more && Array.isArray(more.transactions) && more.transactions.length >= all.length) all = more.transactions;
  } catch (e) {
    if (!(e.status === 404 || e.status === 403)) root.append(errorBox(e));
  }
  const tx = [...all].sort((a, b) => b.at - a.at);
  root.append(section('交易 Transactions (stores in your scope)', tx.length === 0 ? el('p', { class: 'muted' }, '无 None') : table([
    { header: '时间 Time', cell: (t) => time(t.at) },
    { header: '类型 What', cell: (t) => CODE_NAMES[t.code] || t.code },
    { header: '账户 Account', cell: (t) => t.accountId },
    { header: '金额 Amount', num: true, cell: (t) => amount(t) },
    { header: '状态 State', cell: (t) => t.pendingState || (t.kind === 'single' || t.kind === 'post_pending' ? '已入账 posted' : t.kind) },
    { header: '终端 Terminal', cell: (t) => t.terminalId || 'HQ' },
    { header: '单据 Document', cell: (t) => (t.documentId || '').slice(0, 13) },
  ], tx, { id: 'member-transactions' })));
  // Timeline: one entry per business document (or HQ action), newest first.
  const byDoc = new Map();
  for (const t of tx) {
    const key = t.documentId || t.id;
    const e = byDoc.get(key) || { at: t.at, terminal: t.terminalId, items: [] };
    e.items.push(`${CODE_NAMES[t.code] || t.code} ${amount(t)}`);
    byDoc.set(key, e);
  }
  try {
    const used = await api('GET', `/members/${encodeURIComponent(id)}/promotions`);
    root.append(section('促销 Promotions used', used.promotions.length === 0 ? el('p', { class: 'muted' }, '无 None') : table([
      { header: '促销 Promotion', cell: (p) => p.name },
      { header: '笔数 Sales', num: true, cell: (p) => integer(p.sales) },
      { header: '优惠 Discount', num: true, cell: (p) => money(p.discountMinor) },
      { header: '最近 Last', cell: (p) => time(p.lastAt) },
    ], used.promotions, { id: 'member-promotions' }), el('p', { class: 'muted' }, '优惠券 Coupons: ' + used.couponsNote)));
  } catch (e) {
    root.append(errorBox(e));
  }
  root.append(section('时间线 Timeline',
    el('div', { class: 'timeline', id: 'member-timeline' }, [...byDoc.values()].map((e) => el('div', {}, el('strong', {}, time(e.at)), ` · ${e.terminal || 'HQ'} · `, e.items.join('; ')))),
  ));
}
