import { api } from '../api.js';
import { el, errorBox, section, table } from '../dom.js';

export async function render(root, { params }) {
  const form = el('form', { class: 'row' },
    el('input', { name: 'action', placeholder: '动作 Action (e.g. settlement.confirmed)', value: params.get('action') || '' }),
    el('input', { name: 'operatorId', placeholder: '操作员 Operator id', value: params.get('operatorId') || '' }),
    el('button', { type: 'submit' }, '查询 Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    location.hash = '#/audit?' + q.toString();
  });
  const box = section('审计日志 Audit log', form);
  root.append(box);
  const q = new URLSearchParams();
  for (const k of ['action', 'operatorId']) if (params.get(k)) q.set(k, params.get(k));
  q.set('limit', '200');
  try {
    const { entries } = await api('GET', '/audit?' + q.toString());
    box.append(table([
      { header: '时间 At', cell: (e) => e.at },
      { header: '操作员 Operator', cell: (e) => e.operatorId || '' },
      { header: '角色 Role', cell: (e) => e.role || '' },
      { header: '节点 Node', cell: (e) => e.nodeId || '' },
      { header: '终端 Terminal', cell: (e) => e.terminalId || '' },
      { header: '动作 Action', cell: (e) => e.action },
      { header: '对象 Entity', cell: (e) => [e.entityKind, e.entityId].filter(Boolean).join(' ') },
      { header: '详情 Details', cell: (e) => JSON.stringify(e.details ?? e.after ?? {}).slice(0, 200) },
    ], entries, { id: 'audit-table' }));
  } catch (e) {
    box.append(errorBox(e));
  }
}
