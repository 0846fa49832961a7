import { api, session } from '../api.js';
import { el, errorBox, section, table, tag } from '../dom.js';

// Promotions (the promotions REST routes): list, a form for the common 满减 rule (others as JSON,
// checked by the pricing engine's schema at HQ), submit, approve / reject by a second operator, end.

const STATUS = { draft: '草稿 draft', pending_approval: '待审批 pending approval', scheduled: '已排期 scheduled', active: '进行中 active', ended: '已结束 ended' };

/** "100" or "100.5" yuan → integer fen, without floating point; null when malformed. */
export function fenOf(text) {
  const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text));
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

function ruleText(rule) {
  if (rule.type === 'spendThresholdDiscount') return rule.tiers.map((t) => `满${t.thresholdMinor / 100}减${t.offMinor / 100}`).join(' / ') + (rule.repeat ? ' (每满)' : '');
  return rule.type;
}

export async function render(root, { params }) {
  const status = el('div');
  let nodes = [];
  try { ({ nodes } = await api('GET', '/org/nodes')); } catch { /* without org.read the node is typed in */ }
  const nodeField = nodes.length
    ? el('select', { name: 'orgNodeId' }, nodes.filter((n) => n.kind !== 'terminal').map((n) => el('option', { value: n.id }, `${n.name} (${n.id})`)))
    : el('input', { name: 'orgNodeId', placeholder: 'Org node id', required: true });
  const ruleType = el('select', { name: 'ruleType' }, el('option', { value: 'spendThresholdDiscount' }, '满减 Spend X get Y off'), el('option', { value: 'json' }, '其他 Other rule (JSON)'));
  const simple = el('span', { class: 'row', style: 'margin:0' },
    '满 ', el('input', { name: 'threshold', size: 6, placeholder: '100', inputmode: 'decimal' }), ' 减 ', el('input', { name: 'off', size: 6, placeholder: '10', inputmode: 'decimal' }),
    el('label', {}, el('input', { type: 'checkbox', name: 'repeat' }), ' 每满 repeat'));
  const json = el('textarea', { name: 'ruleJson', rows: 4, cols: 60, hidden: true, placeholder: '{"type":"specialPrice","items":[{"sku":"SKU-0001","priceMinor":250}]}' });
  ruleType.addEventListener('change', () => { simple.hidden = ruleType.value !== 'spendThresholdDiscount'; json.hidden = ruleType.value !== 'json'; });
  const form = el('form', { id: 'promotion-form' },
    el('div', { class: 'row' }, el('input', { name: 'name', placeholder: 'Name', required: true }), el('input', { name: 'nameZh', placeholder: '名称', required: true }), nodeField),
    el('div', { class: 'row' }, '有效期 Valid ', el('input', { type: 'date', name: 'validFrom' }), ' – ', el('input', { type: 'date', name: 'validTo' }), ' 优先级 Priority ', el('input', { name: 'priority', type: 'number', value: 0, style: 'width:5em' }),
      el('select', { name: 'group' }, el('option', { value: 'exclusive' }, '互斥 exclusive'), el('option', { value: 'stackable' }, '可叠加 stackable'))),
    el('div', { class: 'row' }, ruleType, simple, json),
    el('button', { type: 'submit' }, '保存草稿 Save draft'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    status.replaceChildren();
    let rule;
    if (f.get('ruleType') === 'json') {
      try { rule = JSON.parse(String(f.get('ruleJson') || '')); } catch (e) { status.replaceChildren(errorBox('rule: not valid JSON')); return; }
    } else {
      const thresholdMinor = fenOf(f.get('threshold'));
      const offMinor = fenOf(f.get('off'));
      if (thresholdMinor === null || offMinor === null) { status.replaceChildren(errorBox('满/减: amounts in yuan, e.g. 100 or 99.90')); return; }
      rule = { type: 'spendThresholdDiscount', tiers: [{ thresholdMinor, offMinor }], repeat: f.get('repeat') === 'on', capMinor: null };
    }
    const body = {
      name: f.get('name'), nameZh: f.get('nameZh'), orgNodeId: f.get('orgNodeId'), priority: Number(f.get('priority') || 0), group: f.get('group'),
      validFrom: f.get('validFrom') || null, validTo: f.get('validTo') || null, daysOfWeek: null, hours: null, perMemberLimit: null, budget: null, rule,
    };
    try {
      const r = await api('POST', '/promotions', body);
      location.hash = `#/promotions?created=${encodeURIComponent(r.promotion.id)}&t=${Date.now()}`;
    } catch (e) { status.replaceChildren(errorBox(e)); }
  });
  root.append(section('新促销 New promotion', form, status));

  const filter = params.get('status') || '';
  const { promotions } = await api('GET', '/promotions' + (filter ? `?status=${filter}` : ''));
  const act = (label, path, body, cls = 'secondary') => el('button', { class: cls, 'data-action': label, onclick: async () => {
    try { await api('POST', path, body); location.hash = `#/promotions?t=${Date.now()}`; } catch (e) { root.prepend(errorBox(e)); }
  } }, label);
  // Buttons follow the operator's permissions (HQ checks them again, and the node).
  const grants = (session.operator && session.operator.grants) || null;
  const may = (permission) => !grants || grants.some((g) => (g.permissions || []).includes(permission));
  root.append(section('促销 Promotions', promotions.length === 0 ? el('p', { class: 'muted' }, '无 None') : table([
    { header: '名称 Name', cell: (r) => `${r.promotion.nameZh} ${r.promotion.name}` },
    { header: '节点 Node', cell: (r) => r.promotion.orgNodeId },
    { header: '规则 Rule', cell: (r) => ruleText(r.promotion.rule) },
    { header: '有效期 Valid', cell: (r) => `${r.promotion.validFrom || '…'} – ${r.promotion.validTo || '…'}` },
    { header: '状态 Status', cell: (r) => tag(STATUS[r.promotion.status] || r.promotion.status, r.promotion.status === 'active' ? 'good' : r.promotion.status === 'pending_approval' ? 'bad' : undefined) },
    { header: '作者 By', cell: (r) => `${r.createdBy}${r.approvedBy ? ' · 审批 ' + r.approvedBy : ''}` },
    { header: '', cell: (r) => {
      const id = encodeURIComponent(r.promotion.id);
      const s = r.promotion.status;
      return el('span', { 'data-promotion': r.promotion.id },
        s === 'draft' ? act('提交 Submit', `/promotions/${id}/submit`, {}) : null,
        s === 'pending_approval' && may('promotion.approve') ? act('批准 Approve', `/promotions/${id}/approve`, {}, '') : null,
        s === 'pending_approval' && may('promotion.approve') ? act('驳回 Reject', `/promotions/${id}/reject`, { reason: 'sent back from the console' }) : null,
        s === 'pending_approval' && !may('promotion.approve') ? tag('等待审批 awaiting another operator') : null,
        s === 'scheduled' || s === 'active' ? act('结束 End', `/promotions/${id}/end`, {}, 'danger') : null);
    } },
  ], promotions, { id: 'promotions-table' })));
}
