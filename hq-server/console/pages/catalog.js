// The chain's catalog: find a product by SKU, change it or create it — including items sold by
// weight (PLU on the scale label, price per kg). Prices are typed in yuan and sent as integer fen.
import { api, money } from '../api.js';
import { el, errorBox, section } from '../dom.js';

/** "12.80" → 1280 by string arithmetic (never floats); null when it is not an amount in yuan. */
function fen(text) {
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(String(text).trim());
  return m ? Number(m[1] + (m[2] ?? '').padEnd(2, '0')) : null;
}
/** 1280 → "12.80" for the price inputs. */
function yuan(minor) {
  if (minor === undefined || minor === null) return '';
  const s = String(minor).padStart(3, '0');
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

export async function render(root, { args }) {
  const sku = args[0] ?? '';
  const find = el('form', { class: 'row', id: 'catalog-find' }, el('input', { name: 'sku', placeholder: 'SKU', value: sku, required: true }), el('button', { type: 'submit' }, '查找 / 新建 Find or create'));
  find.addEventListener('submit', (ev) => { ev.preventDefault(); location.hash = `#/catalog/${encodeURIComponent(new FormData(find).get('sku').trim())}`; });
  root.append(section('商品 Catalog', find));
  if (!sku) return;
  let p = null;
  try { p = await api('GET', `/products/${encodeURIComponent(sku)}`); } catch (e) { if (e.code !== 'NOT_FOUND') { root.append(errorBox(e)); return; } }
  const field = (label, input) => el('label', {}, label, ' ', input);
  const input = (name, value, extra = {}) => el('input', { name, value: value ?? '', ...extra });
  const soldBy = el('select', { name: 'soldBy' }, el('option', { value: 'unit', selected: p?.soldBy !== 'weight' }, '按件 by unit'), el('option', { value: 'weight', selected: p?.soldBy === 'weight' }, '称重 by weight'));
  const status = el('div', { id: 'catalog-status' });
  const form = el('form', { id: 'catalog-form', class: 'stack' },
    field('条码 Barcode', input('barcode', p?.barcode, { required: true })),
    field('名称 Name', input('name', p?.name, { required: true })),
    field('中文名 Name (zh)', input('nameZh', p?.nameZh)),
    field('类别 Category', input('category', p?.category)),
    field('售价 Price ¥', input('price', yuan(p?.priceMinor), { required: true })),
    field('计价 Sold', soldBy),
    field('每千克价 Price per kg ¥', input('pricePerKg', yuan(p?.pricePerKgMinor))),
    field('PLU', input('plu', p?.plu)),
    field('无会员优惠 No member benefits', el('input', { type: 'checkbox', name: 'excluded', checked: p?.excludedFromMemberBenefits })),
    field('在售 Active', el('input', { type: 'checkbox', name: 'active', checked: p ? p.active : true })),
    el('button', { type: 'submit' }, p ? '保存 Save' : '新建 Create'), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const weighed = f.get('soldBy') === 'weight';
    const body = {
      barcode: f.get('barcode').trim(), name: f.get('name').trim(), nameZh: f.get('nameZh').trim(), category: f.get('category').trim(),
      priceMinor: fen(f.get('price')), excludedFromMemberBenefits: f.get('excluded') === 'on', active: f.get('active') === 'on', soldBy: weighed ? 'weight' : 'unit',
      ...(weighed ? { pricePerKgMinor: fen(f.get('pricePerKg')) } : {}),
      ...(f.get('plu').trim() ? { plu: f.get('plu').trim() } : {}),
    };
    if (body.priceMinor === null || (weighed && body.pricePerKgMinor === null)) { status.replaceChildren(errorBox(new Error('价格格式 Prices are yuan, e.g. 12.80'))); return; }
    try {
      const saved = await api('PUT', `/products/${encodeURIComponent(sku)}`, body);
      status.replaceChildren(el('p', { class: 'ok' }, `已保存 Saved ${saved.sku}` + (saved.soldBy === 'weight' ? ` · ${money(saved.pricePerKgMinor)}/kg · PLU ${saved.plu ?? '—'}` : ` · ${money(saved.priceMinor)}`)));
    } catch (e) { status.replaceChildren(errorBox(e)); }
  });
  root.append(section(p ? `${p.nameZh || p.name} (${p.sku})` : `新商品 New product ${sku}`, form));
}
