import { api, time } from '../api.js';
import { el, errorBox, section, tag } from '../dom.js';

export async function render(root) {
  const box = section('组织 Organisation, stores and terminals');
  root.append(box);
  const [nodesResult, terminalsResult] = await Promise.allSettled([api('GET', '/org/nodes'), api('GET', '/terminals')]);
  const terminals = terminalsResult.status === 'fulfilled' ? terminalsResult.value.terminals : [];
  if (terminalsResult.status === 'rejected') box.append(errorBox(terminalsResult.reason));
  let nodes = nodesResult.status === 'fulfilled' ? nodesResult.value.nodes : null;
  if (!nodes) {
    // Without org.read the tree is the stores the terminals name.
    nodes = [...new Map(terminals.map((t) => [t.storeId, { id: t.storeId, parentId: null, kind: 'store', name: t.storeName, franchisee: null }])).values()];
  }
  const ids = new Set(nodes.map((n) => n.id));
  const children = new Map();
  for (const n of nodes) {
    const p = n.parentId && ids.has(n.parentId) ? n.parentId : null;
    children.set(p, [...(children.get(p) || []), n]);
  }
  const codeBox = el('p', { id: 'enrollment', hidden: true });
  const terminalItem = (t) => {
    const state = t.revoked ? tag('已吊销 revoked', 'bad') : t.enrolled ? tag('已注册 enrolled', 'good') : tag('未注册 not enrolled');
    const enroll = el('button', { class: 'secondary', 'data-terminal': t.id, onclick: async () => {
      try {
        const r = await api('POST', `/terminals/${encodeURIComponent(t.id)}/enrollment-codes`, {});
        codeBox.hidden = false;
        codeBox.replaceChildren(`注册码 Enrollment code for ${t.id}: `, el('span', { class: 'code' }, r.code), el('span', { class: 'muted' }, ` expires ${r.expiresAt}`));
      } catch (e) { codeBox.hidden = false; codeBox.replaceChildren(errorBox(e)); }
    } }, '注册码 Enrollment code');
    const revoke = el('button', { class: 'danger', disabled: t.revoked, onclick: async () => {
      if (!confirm(`吊销终端 Revoke ${t.id}? It will be refused until enrolled again.`)) return;
      try { await api('POST', `/terminals/${encodeURIComponent(t.id)}/revocation`); location.reload(); } catch (e) { codeBox.hidden = false; codeBox.replaceChildren(errorBox(e)); }
    } }, '吊销 Revoke');
    return el('li', { 'data-terminal-row': t.id }, `🖥 ${t.name} (${t.id}) `, state, ` 最后联系 ${t.lastContactAt ? time(Date.parse(t.lastContactAt)) : '—'} · acked ${t.ackedSeq}`,
      t.quarantinedEvents ? tag(`${t.quarantinedEvents} quarantined`, 'bad') : null, ' ', enroll, ' ', revoke);
  };
  const list = (parent) => {
    const kids = children.get(parent) || [];
    if (kids.length === 0) return null;
    return el('ul', {}, kids.map((n) => el('li', {},
      el('strong', {}, `${n.kind === 'hq' ? '🏢' : n.kind === 'region' ? '🗺' : '🏪'} ${n.name}`), el('span', { class: 'muted' }, ` ${n.id}${n.franchisee ? ' · 加盟 ' + n.franchisee : ''}`),
      n.kind === 'store' ? el('ul', {}, terminals.filter((t) => t.storeId === n.id).map(terminalItem)) : null,
      list(n.id))));
  };
  box.append(el('div', { class: 'tree', id: 'org-tree' }, list(null)), codeBox);
}
