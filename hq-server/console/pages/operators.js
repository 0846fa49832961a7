import { api } from '../api.js';
import { el, errorBox, section, table, tag } from '../dom.js';

// Operators and roles, as the operator's scope shows them (operator.read). Changes (new operators,
// grants, custom roles, unlock) go through the same REST routes; this page reads.

export async function render(root) {
  const [ops, roles] = await Promise.allSettled([api('GET', '/operators'), api('GET', '/roles')]);
  if (ops.status === 'fulfilled') {
    root.append(section('操作员 Operators', table([
      { header: '姓名 Name', cell: (o) => o.name },
      { header: '账号 Login', cell: (o) => o.login },
      { header: '所属 Node', cell: (o) => o.nodeId },
      { header: '授权 Grants (role @ node)', cell: (o) => (o.grants || []).map((g) => `${g.role} @ ${g.nodeId}`).join(', ') },
      { header: '状态 State', cell: (o) => (o.disabled ? tag('停用 disabled', 'bad') : o.locked ? tag('锁定 locked', 'bad') : tag('正常 active', 'good')) },
      { header: 'PIN / 卡 Card', cell: (o) => `${o.hasPin ? 'PIN' : '—'}${o.cardNo ? ' · ' + o.cardNo : ''}` },
    ], ops.value.operators, { id: 'operators-table' })));
  } else root.append(errorBox(ops.reason));
  if (roles.status === 'fulfilled') {
    root.append(section('角色 Roles', table([
      { header: '角色 Role', cell: (r) => `${r.name} (${r.code})` },
      { header: '内置 Built-in', cell: (r) => (r.builtIn ? '✓' : '') },
      { header: '权限 Permissions', cell: (r) => r.permissions.join(', ') },
    ], roles.value.roles, { id: 'roles-table' })));
  } else root.append(errorBox(roles.reason));
}
