import { api } from '../api.js';
import { el, errorBox, section, table } from '../dom.js';

export async function render(root, { params }) {
  const q = params.get('q') || '';
  const form = el('form', { class: 'row', id: 'member-search' },
    el('input', { name: 'q', value: q, placeholder: '手机号 / 姓名 / 卡号 Phone, name or card no.', size: 36, required: true }),
    el('button', { type: 'submit' }, '查询 Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = '#/members?q=' + encodeURIComponent(new FormData(form).get('q'));
  });
  const box = section('会员查询 Member search', form);
  root.append(box);
  if (!q) return;
  try {
    const { members } = await api('GET', '/members?query=' + encodeURIComponent(q));
    box.append(members.length === 0 ? el('p', { class: 'muted' }, '没有找到 No member found') : table([
      { header: '姓名 Name', cell: (m) => el('a', { href: '#/member/' + encodeURIComponent(m.id) }, m.name) },
      { header: '手机 Phone', cell: (m) => m.phone },
      { header: '等级 Level', cell: (m) => m.levelCode },
      { header: '门店 Home store', cell: (m) => m.homeStoreId },
      { header: '卡号 Cards', cell: (m) => m.cardNos.join(', ') },
    ], members, { id: 'member-results' }));
  } catch (e) {
    box.append(errorBox(e));
  }
}
