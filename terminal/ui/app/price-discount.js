// Price override (改价, ⇧F3) and manual discount (手工折扣, ⇧F6) in the cashier app. Each asks the
// terminal (POST /api/sales/:id/items/:lineNo/price, POST /api/sales/:id/discounts); without the
// permission the supervisor prompt appears, as for a void. Amounts are parsed as strings into
// integer minor units (money.js), never floats.
import { language } from './i18n.js';
import { parseMajor } from './money.js';

const WORDS = {
  'zh-CN': {
    priceOverride: '改价', newUnitPrice: '新单价', reason: '原因', listPrice: '原价',
    manualDiscount: '手工折扣', discountValue: '折扣：金额（如 5.00）或百分比（如 10%）', appliesTo: '折扣范围', wholeBasket: '整单',
    rounding: '舍入', roundHalfUp: '四舍五入', roundHalfEven: '银行家舍入', roundDown: '舍去', roundUp: '进位',
    needReason: '请填写原因', badValue: '请输入金额或百分比', noLine: '先扫描商品',
  },
  en: {
    priceOverride: 'Price override', newUnitPrice: 'New unit price', reason: 'Reason', listPrice: 'list price',
    manualDiscount: 'Manual discount', discountValue: 'Discount: an amount (e.g. 5.00) or a percentage (e.g. 10%)', appliesTo: 'Applies to', wholeBasket: 'Whole basket',
    rounding: 'Rounding', roundHalfUp: 'Half up', roundHalfEven: 'Half even', roundDown: 'Down', roundUp: 'Up',
    needReason: 'Say why', badValue: 'Type an amount or a percentage', noLine: 'Scan an item first',
  },
};
const w = (key) => (WORDS[language()] ?? WORDS.en)[key] ?? WORDS.en[key];

/** What a line says under its name when its price was overridden or it took a manual discount. */
export function overrideLineHtml(line, money, esc) {
  const parts = [];
  if (line.priceOverride) parts.push(`<span class="promo override">${esc(w('priceOverride'))} · ${esc(w('listPrice'))} ${money(line.priceOverride.listUnitPriceMinor)} · ${esc(line.priceOverride.reason)}</span>`);
  for (const d of line.manualDiscounts ?? []) parts.push(`<span class="promo manual">${esc(w('manualDiscount'))} −${money(d.discountMinor)}</span>`);
  return parts.join('');
}

/**
 * Adds the two keys to the action bar and their dialogs. `ui` is the app's own: { S, $, esc,
 * money, saleApi, setSale, openDialog, closeDialog, field, askSupervisor, say, errorText }.
 */
export function mountPriceDiscount(ui) {
  const { S, $, esc } = ui;

  /** Runs a supervised call; without the permission the supervisor prompt retries it. */
  async function supervised(call) {
    const attempt = async (supervisor) => {
      ui.setSale(await call(supervisor ? { supervisor } : {}));
      ui.closeDialog();
      ui.say('✓', 'ok');
    };
    try {
      await attempt(undefined);
    } catch (e) {
      if (e.code === 'FORBIDDEN' && e.details?.needsSupervisor) ui.askSupervisor(ui.errorText(e.code, e.message), attempt);
      else throw e;
    }
  }

  const reasonOf = () => {
    const reason = $('pd-reason').value.trim();
    if (!reason) throw new Error(w('needReason'));
    return reason;
  };

  function openPrice() {
    if (!S.sale) return;
    const line = S.sale.lines.find((l) => l.lineNo === S.selected) ?? S.sale.lines.at(-1);
    if (!line) return ui.say(w('noLine'), 'error');
    const saleId = S.sale.id;
    const body = `<p>${esc(line.lineNo)}. ${esc(line.name)} · ${ui.money(line.unitPriceMinor)}</p>${ui.field('pd-price', w('newUnitPrice'), '', 'inputmode="decimal"')}${ui.field('pd-reason', w('reason'), '')}`;
    ui.openDialog('price-override', w('priceOverride'), body, async () => {
      const unitPriceMinor = parseMajor($('pd-price').value, S.digits);
      if (unitPriceMinor === null) throw new Error(w('badValue'));
      const reason = reasonOf();
      await supervised((extra) => ui.saleApi('POST', `/api/sales/${saleId}/items/${line.lineNo}/price`, { unitPriceMinor, reason, ...extra }));
    });
  }

  function openDiscount() {
    if (!S.sale || S.sale.lines.length === 0) return;
    const saleId = S.sale.id;
    const scope = [`<option value="">${esc(w('wholeBasket'))} · ${ui.money(S.sale.totalMinor)}</option>`]
      .concat(S.sale.lines.map((l) => `<option value="${l.lineNo}"${l.lineNo === S.selected ? ' selected' : ''}>${esc(l.lineNo)}. ${esc(l.name)} · ${ui.money(l.amountMinor)}</option>`))
      .join('');
    const rounding = ['HALF_UP', 'HALF_EVEN', 'DOWN', 'UP']
      .map((r) => `<option value="${r}">${esc(w(`round${r.split('_').map((p) => p[0] + p.slice(1).toLowerCase()).join('')}`))}</option>`)
      .join('');
    const body = `${ui.field('pd-value', w('discountValue'), '')}<label for="pd-scope">${esc(w('appliesTo'))}</label><select id="pd-scope">${scope}</select><label for="pd-rounding">${esc(w('rounding'))}</label><select id="pd-rounding">${rounding}</select>${ui.field('pd-reason', w('reason'), '')}`;
    ui.openDialog('manual-discount', w('manualDiscount'), body, async () => {
      const text = $('pd-value').value.trim();
      const percent = /^(\d{1,3}(?:\.\d{1,4})?)\s*%$/.exec(text)?.[1];
      const amountMinor = percent === undefined ? parseMajor(text, S.digits) : null;
      if (percent === undefined && (amountMinor === null || amountMinor <= 0)) throw new Error(w('badValue'));
      const reason = reasonOf();
      const lineNo = $('pd-scope').value ? Number($('pd-scope').value) : undefined;
      const value = percent !== undefined ? { percent, rounding: $('pd-rounding').value } : { amountMinor };
      await supervised((extra) => ui.saleApi('POST', `/api/sales/${saleId}/discounts`, { ...(lineNo ? { lineNo } : {}), ...value, reason, ...extra }));
    });
  }

  // Two keys on the action bar, before the virtual-devices key.
  const keys = [
    { id: 'btn-price', key: '⇧F3', words: 'priceOverride', open: openPrice },
    { id: 'btn-discount', key: '⇧F6', words: 'manualDiscount', open: openDiscount },
  ];
  for (const k of keys) {
    const b = document.createElement('button');
    b.className = 'key';
    b.id = k.id;
    b.type = 'button';
    b.dataset.key = `Shift+${k.key.slice(1)}`;
    b.innerHTML = `<kbd>${k.key}</kbd> <span></span>`;
    b.addEventListener('click', () => k.open());
    $('actions').insertBefore(b, $('btn-virtual'));
  }
  const label = () => {
    for (const k of keys) $(k.id).querySelector('span').textContent = w(k.words);
  };
  label();
  new MutationObserver(label).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });

  // Captured before the app's own keys, so that ⇧F3 / ⇧F6 do not also search or pay by stored value.
  window.addEventListener(
    'keydown',
    (e) => {
      if (S.dialog || !e.shiftKey || (e.key !== 'F3' && e.key !== 'F6')) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      if (e.key === 'F3') openPrice();
      else openDiscount();
    },
    true,
  );
}
