// The keyboard-first cashier app. It talks to its terminal only through the local API and hears
// the lane (scanner, card reader, printer, bank terminal, HQ link) on the events stream. The
// current sale lives in the terminal service (terminal/lane-api.ts); this page shows it.
import { errorText, language, setLanguage, t } from './i18n.js';
import { formatMinor, parseMajor, parseWhole } from './money.js';
import { showProgress } from './payment-progress.js';
import { parseWeighedEntry, weighedLineHtml } from './weighed.js';
import { mountPriceDiscount, overrideLineHtml } from './price-discount.js';
import { mountDayClose, printSlip } from './slips.js';
import { mountDeskCards, offerTopUpRefund, showDeskCards } from './desk-cards.js';
import { mountStaff, needsSupervisor, readSupervisor, supervised, supervisorFieldsHtml } from './staff.js';

const token = document.querySelector('meta[name="onecard-token"]')?.content ?? '';
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const S = {
  digits: 2,
  sign: '¥',
  sale: null, // the open sale shown
  lastSale: null, // the sale just completed or cancelled
  member: null, // member panel of the sale's card
  selected: null, // selected line number
  simulated: false,
  devices: [],
  waitingReceipts: 0,
  link: { hq: 'unknown', outboxDepth: 0 },
  dialog: null, // { kind, submit, onEvent }
  products: [],
};

const money = (minor) => `${S.sign}${formatMinor(minor, S.digits)}`;

function say(text, kind = '') {
  const el = $('message');
  el.textContent = text;
  el.className = kind;
}

class ApiError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(json.error?.code ?? 'INTERNAL', json.error?.message ?? res.statusText, json.error?.details);
  return json;
}

/** 'sale' events heard on the stream so far (a scan or a card changed the sale). */
let saleEvents = 0;

/**
 * A call that answers with the sale. When a device changed the sale while the call was under way,
 * the answer may be older than what the stream already showed, so the sale is read again.
 */
async function saleApi(method, path, body) {
  const seen = saleEvents;
  const sale = await api(method, path, body);
  if (saleEvents !== seen && sale?.id) return api('GET', `/api/sales/${sale.id}`);
  return sale;
}

function showError(e) {
  // The session ended (locked, or the operator's access changed at HQ): back to the sign-in screen.
  if (e?.code === 'NOT_SIGNED_IN') void refreshSession();
  if (e instanceof ApiError) say(errorText(e.code, e.message), 'error');
  else say(String(e?.message ?? e), 'error');
}

/** Runs an action, showing its error; actions never leave the page in a half state. */
async function act(fn) {
  try {
    return await fn();
  } catch (e) {
    showError(e);
    return undefined;
  }
}

// ---- rendering ---------------------------------------------------------------------------

function setSale(sale) {
  if (!sale) return;
  if (sale.status === 'open') {
    if (S.sale?.id !== sale.id) {
      S.selected = null;
      if (!sale.member) S.member = null;
    }
    S.sale = sale;
    S.lastSale = null;
  } else {
    if (!S.sale || S.sale.id === sale.id) {
      S.lastSale = sale;
      S.sale = null;
      S.selected = null;
    }
  }
  renderSale();
}

function renderSale() {
  const sale = S.sale ?? S.lastSale;
  const rows = [];
  // Every promotion is explained on the lines it touches, with its share of each.
  const labels = new Map((sale?.adjustments ?? []).map((a) => [a.promotionId, language() === 'en' ? a.label.en : a.label.zh]));
  let savings = 0;
  for (const l of sale?.lines ?? []) {
    const promos = (l.promotions ?? [])
      .map((p) => {
        savings += p.discountMinor;
        return `<span class="promo">${esc(labels.get(p.promotionId) ?? p.promotionId)} −${money(p.discountMinor)}</span>`;
      })
      .join('');
    rows.push(
      `<tr data-line="${l.lineNo}"${S.selected === l.lineNo ? ' class="selected"' : ''}><td>${l.lineNo}</td><td>${esc(l.name)}${weighedLineHtml(l, money)}${promos}${overrideLineHtml(l, money, esc)}</td><td class="num">${l.quantity}</td><td class="num">${money(l.unitPriceMinor)}</td><td class="num">${money(l.amountMinor)}</td><td>${S.sale ? `<button type="button" class="void" data-line="${l.lineNo}" title="F4">✕</button>` : ''}</td></tr>`,
    );
  }
  $('basket-body').innerHTML = rows.join('');
  $('empty-basket').hidden = rows.length > 0;
  $('total').textContent = money(sale?.totalMinor ?? 0);
  $('savings-row').hidden = savings === 0;
  $('savings').textContent = `−${money(savings)}`;
  $('paid').textContent = money(sale?.paidMinor ?? 0);
  $('due').textContent = money(sale?.dueMinor ?? 0);
  $('change').textContent = money(sale?.changeMinor ?? 0);
  $('coupon-list').innerHTML = (sale?.coupons ?? []).map((c) => `<li data-status="${esc(c.status)}">${esc(t('coupon'))} ${esc(c.code)} · ${esc(c.status)}</li>`).join('');
  $('tender-list').innerHTML = (sale?.tenders ?? [])
    .map((tn) => `<li>${esc(tenderName(tn))}: ${money(tn.amountMinor)}${tn.kind === 'cash' && tn.changeMinor ? ` (${t('tendered')} ${money(tn.tenderedMinor)}, ${t('change')} ${money(tn.changeMinor)})` : ''}</li>`)
    .join('');
  $('sale-status').textContent = sale ? t(sale.status) : '—';
  $('sale-status').dataset.status = sale?.status ?? '';
  $('sale-id').textContent = sale ? sale.id.slice(-8) : '';
  const open = !!S.sale;
  for (const id of ['btn-void', 'btn-cash', 'btn-sv', 'btn-points', 'btn-card', 'btn-cancel']) $(id).disabled = !open;
  $('btn-finish').disabled = !(open && S.sale.dueMinor === 0 && S.sale.lines.length > 0);
  $('btn-reprint').disabled = !(S.lastSale && S.lastSale.status === 'completed');
  renderMember();
}

function tenderName(tn) {
  if (tn.kind === 'cash') return t('cash');
  if (tn.kind === 'stored_value') return t('storedValue');
  if (tn.kind === 'points') return `${t('pointsTender')} ${tn.points}`;
  return t('bankCard');
}

function renderMember() {
  const m = S.member;
  const el = $('member-panel');
  if (!m) {
    el.dataset.state = 'none';
    el.innerHTML = `<p class="muted">${esc(t('noMember'))}</p>`;
    return;
  }
  const warnings = m.warnings.map((w) => {
    const key = { CARD_FROZEN: 'frozen', CARD_EXPIRED: 'expired', CARD_LOST: 'lost', CARD_INACTIVE: 'inactive', CARD_REPLACED: 'replaced' }[w];
    return `<div class="warn">⚠ ${esc(key ? t(key) : w)}</div>`;
  });
  el.dataset.state = warnings.length ? 'warning' : 'ok';
  el.innerHTML = `
    <div class="name" id="member-name">${esc(m.member.name)}</div>
    ${m.birthdayToday ? `<div id="member-birthday">${esc(t('birthday'))}</div>` : ''}
    ${warnings.join('')}
    <div class="grid">
      <span>${esc(t('level'))}</span><b id="member-level">${esc(m.level?.name ?? '—')}</b>
      <span>${esc(t('principal'))}</span><b id="member-principal">${money(m.principalMinor)}</b>
      <span>${esc(t('bonus'))}</span><b id="member-bonus">${money(m.bonusMinor)}</b>
      <span>${esc(t('points'))}</span><b id="member-points">${m.points}</b>
      <span>${esc(t('coupons'))}</span><span id="member-coupons">${(m.coupons ?? []).length ? m.coupons.map((c) => `${esc(c.name)} <span class="muted">${esc(c.code)}</span>`).join('<br>') : esc(t('none'))}</span>
      <span>#</span><span class="muted">${esc(m.cardNo)}</span>
    </div>`;
}

function renderStatus() {
  const hq = $('hq-status');
  hq.dataset.state = S.link.hq;
  hq.textContent = S.link.hq === 'online' ? t('hqOnline') : S.link.hq === 'offline' ? t('hqOffline') : '…';
  $('outbox-depth').textContent = String(S.link.outboxDepth ?? 0);
  $('device-pills').innerHTML = S.devices
    .map((d) => `<span class="pill" id="dev-${esc(d.name)}" data-health="${esc(d.health)}" title="${esc(d.detail)}">${esc(d.name)}</span>`)
    .join('');
  $('simulated-badge').hidden = !S.simulated;
  $('btn-virtual').hidden = !S.simulated;
  const w = $('receipts-waiting');
  w.hidden = !S.waitingReceipts;
  w.textContent = `${S.waitingReceipts} ${t('receiptsWaiting')}`;
}

// ---- sale actions ------------------------------------------------------------------------

async function ensureSale() {
  if (S.sale && S.sale.status === 'open') return S.sale;
  const sale = await saleApi('POST', '/api/lane/sale');
  setSale(sale);
  return sale;
}

// Codes are added one after another: a keyboard-wedge scanner types codes faster than the till
// answers, and answers arriving out of order would show a basket without the last item.
let codesAdded = Promise.resolve();
function addCode(text) {
  codesAdded = codesAdded.then(() => addOneCode(text));
  return codesAdded;
}

async function addOneCode(text) {
  const raw = text.trim();
  if (!raw) return;
  // "1.234*10001": a weight in kg keyed for an item sold by weight (PLU or barcode).
  const w = parseWeighedEntry(raw);
  if (w && !w.grams) return say(errorText('VALIDATION_FAILED', 'kg'), 'error');
  const m = w ? null : /^(\d{1,5})\*(.+)$/.exec(raw);
  const quantity = m ? parseWhole(m[1]) : 1;
  const code = w ? w.code : m ? m[2].trim() : raw;
  if (!quantity) return say(errorText('VALIDATION_FAILED', 'qty'), 'error');
  try {
    const sale = await ensureSale();
    setSale(await saleApi('POST', `/api/sales/${sale.id}/items`, { barcode: code, quantity, ...(w ? { grams: w.grams } : {}) }));
    say('');
  } catch (e) {
    if (e.code === 'UNKNOWN_BARCODE' && !/^\d+$/.test(code)) return openSearch(code);
    showError(e);
  }
}

async function showMember(cardNo) {
  S.member = await api('GET', `/api/lane/members/${encodeURIComponent(cardNo)}`);
  renderMember();
}

async function attachMember(cardNo) {
  await act(async () => {
    const sale = await ensureSale();
    try {
      setSale(await saleApi('POST', `/api/sales/${sale.id}/member`, { cardNo }));
      say('');
    } finally {
      // A frozen or expired card is refused, and the panel says why.
      await showMember(cardNo).catch(() => {});
    }
  });
}

async function voidLine(lineNo) {
  if (!S.sale) return;
  const target = lineNo ?? S.selected ?? S.sale.lines.at(-1)?.lineNo;
  if (target === undefined) return;
  const saleId = S.sale.id;
  // A void needs sale.void: without it, a supervisor's card or PIN in the same request.
  const attempt = async (supervisor) => {
    const r = await api('DELETE', `/api/sales/${saleId}/items/${target}`, supervisor ? { supervisor } : undefined);
    setSale(r);
    say(`${t('voidLine')} ✓${supervisor ? ` (${t('approvedBy')} ${r.approval.approvedBy})` : ''}`, 'ok');
  };
  await act(() => supervised(attempt, askFor));
}

/** Prompts for a supervisor after a refusal that one could lift, then retries. */
const askFor = (e, retry) => askSupervisor(errorText(e.code, e.message), retry);

async function finish() {
  if (!S.sale) return;
  const r = await act(() => api('POST', `/api/lane/sales/${S.sale.id}/finish`));
  if (!r) return;
  setSale(r.sale);
  const parts = [t('saleDone')];
  if (r.sale.changeMinor > 0) parts.push(`${t('change')} ${money(r.sale.changeMinor)}`);
  if (r.sale.member) parts.push(`${t('pointsEarned')} +${r.sale.pointsEarned}`);
  if (r.drawerOpened) parts.push(t('drawerOpened'));
  // The receipt prints in the background; its "queued" news may come before this answer.
  const queued = S.receiptQueued?.id === r.sale.id ? S.receiptQueued : null;
  if (queued) parts.push(`${t('receiptQueued')}${queued.message}`);
  say(parts.join(' · '), queued ? 'error' : 'ok');
}

/** After a tender: the sale finishes by itself once nothing is due. */
async function afterTender(sale) {
  setSale(sale);
  closeDialog();
  if (sale.status === 'open' && sale.dueMinor === 0) await finish();
}

// ---- dialogs -----------------------------------------------------------------------------

function openDialog(kind, title, bodyHtml, submit, extra = {}) {
  S.dialog = { kind, submit, ...extra };
  $('dialog-title').textContent = title;
  $('dialog-body').innerHTML = bodyHtml;
  $('dialog-message').textContent = '';
  $('dialog-ok').disabled = false;
  $('dialog-backdrop').hidden = false;
  $('dialog').dataset.kind = kind;
  delete $('dialog').dataset.outcome;
  const first = $('dialog-body').querySelector('input:not([hidden])');
  if (first) {
    first.focus();
    first.select?.();
  } else $('dialog-ok').focus(); // Enter confirms

}

function closeDialog() {
  if (S.dialog?.busy) return;
  S.dialog = null;
  $('dialog-backdrop').hidden = true;
  $('code-input').focus();
}

function dialogError(e) {
  $('dialog-message').textContent = e instanceof ApiError ? errorText(e.code, e.message) : String(e?.message ?? e);
}

function field(id, label, value = '', opts = '') {
  return `<label for="${id}">${esc(label)}</label><input id="${id}" value="${esc(value)}" ${opts}>`;
}

function showPin() {
  const p = $('tender-pin');
  if (p) {
    p.hidden = false;
    $('tender-pin-label').hidden = false;
    p.focus();
  }
}

const pinField = () => `<label id="tender-pin-label" for="tender-pin" hidden>${esc(t('pinLabel'))}</label><input id="tender-pin" type="password" inputmode="numeric" hidden>`;

function openCash() {
  if (!S.sale || S.sale.dueMinor === 0) return;
  openDialog('cash', `${t('cash')} · ${t('due')} ${money(S.sale.dueMinor)}`, field('tender-amount', t('tendered'), formatMinor(S.sale.dueMinor, S.digits), 'inputmode="decimal"'), async () => {
    const tendered = parseMajor($('tender-amount').value, S.digits);
    if (tendered === null || tendered <= 0) throw new ApiError('VALIDATION_FAILED', $('tender-amount').value);
    const amountMinor = Math.min(tendered, S.sale.dueMinor);
    await afterTender(await saleApi('POST', `/api/sales/${S.sale.id}/tenders`, { kind: 'cash', amountMinor, tenderedMinor: tendered }));
  });
}

function openStoredValue() {
  if (!S.sale || S.sale.dueMinor === 0) return;
  const available = S.member ? S.member.principalMinor + S.member.bonusMinor : S.sale.dueMinor;
  const prefill = Math.min(S.sale.dueMinor, Math.max(0, available));
  openDialog('stored_value', `${t('storedValue')} · ${t('due')} ${money(S.sale.dueMinor)}`, field('tender-amount', t('amountLabel'), formatMinor(prefill, S.digits), 'inputmode="decimal"') + pinField(), async () => {
    const amountMinor = parseMajor($('tender-amount').value, S.digits);
    if (amountMinor === null || amountMinor <= 0) throw new ApiError('VALIDATION_FAILED', $('tender-amount').value);
    const pin = $('tender-pin').value.trim();
    await afterTender(await saleApi('POST', `/api/sales/${S.sale.id}/tenders`, { kind: 'stored_value', amountMinor, ...(pin ? { pin } : {}) }));
  });
}

function openPoints() {
  if (!S.sale) return;
  openDialog('points', `${t('pointsTender')} · ${t('points')} ${S.member?.points ?? '—'}`, field('tender-points', t('pointsLabel'), '', 'inputmode="numeric"') + pinField(), async () => {
    const points = parseWhole($('tender-points').value);
    if (!points) throw new ApiError('VALIDATION_FAILED', $('tender-points').value);
    const pin = $('tender-pin').value.trim();
    await afterTender(await saleApi('POST', `/api/sales/${S.sale.id}/tenders`, { kind: 'points', points, ...(pin ? { pin } : {}) }));
  });
}

const CARD_OUTCOME = { declined: 'declined', 'not-charged': 'notCharged', voided: 'voided', unknown: 'unknown' };

function openBankCard() {
  if (!S.sale || S.sale.dueMinor === 0) return;
  const saleId = S.sale.id;
  openDialog(
    'bank_card',
    `${t('bankCard')} · ${t('due')} ${money(S.sale.dueMinor)}`,
    field('tender-amount', t('amountLabel'), formatMinor(S.sale.dueMinor, S.digits), 'inputmode="decimal"') + `<div class="progress" id="card-progress"></div>`,
    async () => {
      const amountMinor = parseMajor($('tender-amount').value, S.digits);
      if (amountMinor === null || amountMinor <= 0) throw new ApiError('VALIDATION_FAILED', $('tender-amount').value);
      S.dialog.busy = true;
      $('dialog-ok').disabled = true;
      $('card-progress').textContent = t('pay_SENDING');
      try {
        const r = await api('POST', `/api/lane/sales/${saleId}/card`, { amountMinor });
        S.dialog.busy = false;
        if (r.outcome.status === 'approved') {
          say(`${t('approved')} ${money(r.outcome.amount_minor)}`, 'ok');
          await afterTender(r.sale);
          return;
        }
        setSale(r.sale);
        $('card-progress').textContent = '';
        $('dialog-ok').disabled = false;
        $('dialog-message').textContent = `${t(CARD_OUTCOME[r.outcome.status] ?? 'unknown')} — ${r.outcome.message}`;
        $('dialog').dataset.outcome = r.outcome.status;
      } finally {
        if (S.dialog) {
          S.dialog.busy = false;
          $('dialog-ok').disabled = false;
        }
      }
    },
    {
      onEvent(type, data) {
        if (type !== 'payment' || !data.documentId.startsWith(saleId)) return;
        showProgress($('card-progress'), data);
      },
    },
  );
}

function openMemberEntry() {
  openDialog('member', t('memberKey'), field('member-card-no', t('cardNoLabel'), ''), async () => {
    const cardNo = $('member-card-no').value.trim();
    if (!cardNo) return;
    closeDialog();
    await attachMember(cardNo);
  });
}

function openSearch(query = '') {
  let timer = null;
  let selected = 0;
  const load = async () => {
    const q = $('search-query')?.value ?? '';
    const r = await act(() => api('GET', `/api/products?query=${encodeURIComponent(q)}`));
    if (!r || !S.dialog || S.dialog.kind !== 'search') return;
    S.dialog.results = r.products;
    selected = 0;
    paint();
  };
  const paint = () => {
    const list = S.dialog?.results ?? [];
    $('search-list').innerHTML = list.length
      ? list.map((p, i) => `<li data-i="${i}"${i === selected ? ' class="selected"' : ''}>${esc(p.nameZh || p.name)} · ${esc(p.name)} <span class="muted">${esc(p.barcode)}</span> <b>${S.sign}${esc(p.priceDisplay)}</b></li>`).join('')
      : `<li class="muted">${esc(t('noResults'))}</li>`;
  };
  openDialog('search', t('search'), `<input id="search-query" value="${esc(query)}" placeholder="${esc(t('searchPlaceholder'))}"><ul id="search-list"></ul>`, async () => {
    const p = S.dialog?.results?.[selected];
    if (!p) return;
    closeDialog();
    await addCode(p.barcode);
  }, {
    results: [],
    onKey(e) {
      const list = S.dialog?.results ?? [];
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        selected = Math.max(0, Math.min(list.length - 1, selected + (e.key === 'ArrowDown' ? 1 : -1)));
        paint();
      }
    },
  });
  $('search-query').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(load, 80);
  });
  $('search-list').addEventListener('click', async (e) => {
    const li = e.target.closest('li[data-i]');
    if (!li) return;
    selected = Number(li.dataset.i);
    await S.dialog.submit();
  });
  void load();
}

function openCancel() {
  if (!S.sale) return;
  const saleId = S.sale.id;
  // A sale with lines or payments needs sale.void to cancel: without it, a supervisor's card or PIN.
  const run = async (supervisor) => {
    const r = await api('POST', `/api/lane/sales/${saleId}/cancel`, supervisor ? { supervisor } : undefined);
    S.dialog.busy = false;
    closeDialog();
    setSale(r.sale);
    S.member = null;
    renderMember();
    const voids = r.voids.map((v) => `${v.status}${v.message ? `: ${v.message}` : ''}`).join('; ');
    say(`${t('cancelled')}${voids ? ` — ${voids}` : ''}`, voids.includes('manual') || voids.includes('unknown') ? 'error' : 'ok');
  };
  openDialog('cancel', t('cancelSale'), `<p>${esc(t('confirmCancel'))}</p>`, async () => {
    S.dialog.busy = true;
    try {
      await supervised(run, (e, retry) => {
        S.dialog.busy = false;
        askFor(e, retry);
      });
    } finally {
      if (S.dialog) S.dialog.busy = false;
    }
  });
}

// ---- shift: sign-in, float, X report, close with counted cash, Z report ---------------------------

async function refreshSession() {
  const r = await api('GET', '/api/session').catch(() => null);
  S.session = r?.session ?? null;
  S.shift = r?.shift ?? null;
  $('operator').textContent = S.session ? S.session.operator.name : t('signedOut');
  $('operator').dataset.state = S.session ? 'in' : 'out';
  staff.follow(S.session);
}

/** What the slips and day-close module needs from this page. */
const slipUi = () => ({ api, say, t, esc, money, errorText, tenderName: (kind) => tenderName({ kind, points: '' }) });

function reportHtml(rep) {
  const rows = (title, by) => Object.entries(by).filter(([, v]) => v).map(([k, v]) => `<div>${esc(title)} · ${esc(tenderName({ kind: k, points: '' }))}: <b>${money(v)}</b></div>`).join('');
  return `<div id="shift-report" data-kind="${rep.kind}"><h3>${rep.kind === 'Z' ? esc(t('zReport')) : esc(t('xReport'))}</h3>
    <div>${esc(t('salesCount'))}: ${rep.totals.salesCount} · ${esc(t('refundsCount'))}: ${rep.totals.refundsCount}</div>
    ${rows(t('sales'), rep.totals.sales)}${rows(t('refundsWord'), rep.totals.refunds)}${rows(t('topUps'), rep.totals.topUps)}
    <div>${esc(t('float'))}: ${money(rep.floatMinor)} · ${esc(t('expectedCash'))}: <b id="expected-cash">${money(rep.expectedCashMinor)}</b></div>
    ${rep.countedCashMinor !== null ? `<div>${esc(t('countedCash'))}: ${money(rep.countedCashMinor)} · ${esc(t('difference'))}: <b id="cash-difference">${money(rep.differenceMinor)}</b></div>` : ''}</div>`;
}

async function openShift() {
  await refreshSession();
  if (!S.session) return; // the sign-in screen is up
  if (!S.shift) {
    openDialog('shift-open', `${t('openShift')} · ${S.session.operator.name}`, field('shift-float', t('float'), formatMinor(0, S.digits), 'inputmode="decimal"'), async () => {
      const floatMinor = parseMajor($('shift-float').value, S.digits);
      if (floatMinor === null) throw new ApiError('VALIDATION_FAILED', $('shift-float').value);
      await api('POST', '/api/shift/open', { floatMinor });
      await refreshSession();
      closeDialog();
      say(t('shiftOpened'), 'ok');
    });
    return;
  }
  const x = await api('GET', '/api/shift/x');
  openDialog('shift-close', `${t('closeShift')} · ${S.session.operator.name}`, `${reportHtml(x)}${field('shift-counted', t('countedCash'), '', 'inputmode="decimal"')}<div class="vrow"><button type="button" class="key small" id="sign-out">${esc(t('signOut'))}</button></div>`, async () => {
    if (S.dialog.closed) return closeDialog();
    const countedCashMinor = parseMajor($('shift-counted').value, S.digits);
    if (countedCashMinor === null) throw new ApiError('VALIDATION_FAILED', $('shift-counted').value);
    const z = await api('POST', '/api/shift/close', { countedCashMinor });
    S.dialog.closed = true;
    $('dialog-body').innerHTML = `${reportHtml(z)}<div class="vrow"><button type="button" class="key small" id="sign-out">${esc(t('signOut'))}</button></div>`;
    $('sign-out').addEventListener('click', signOut);
    mountDayClose($('dialog-body'), slipUi());
    const printed = await api('POST', `/api/lane/shifts/${z.shiftId}/print-z`).catch((e) => ({ status: 'queued', message: e.message }));
    say(printed.status === 'printed' ? `${t('zReport')} · ${t('receiptPrinted')}` : `${t('receiptQueued')}${printed.message ?? ''}`, printed.status === 'printed' ? 'ok' : 'error');
    await refreshSession();
  });
  $('sign-out').addEventListener('click', signOut);
}

async function signOut() {
  await api('DELETE', '/api/session').catch(() => {});
  closeDialog();
  await refreshSession();
}

/** Opens the drawer with no sale: drawer.open, or a supervisor's card or PIN. */
async function noSale() {
  await act(() => supervised(async (supervisor) => {
    const r = await api('POST', '/api/lane/drawer', supervisor ? { supervisor } : {});
    say(`${t('noSale')} · ${r.opened ? t('drawerOpened') : '—'}${supervisor ? ` (${t('approvedBy')} ${r.approval.approvedBy})` : ''}`, r.opened ? 'ok' : 'error');
  }, askFor));
}

/** A supervisor's card number, or login and PIN, for an action the cashier may not do alone. */
function askSupervisor(why, retry) {
  openDialog('supervisor', t('supervisorNeeded'), `<p>${esc(why)}</p>${field('sup-login', t('supervisorLogin'), '')}${field('sup-pin', t('operatorPin'), '', 'type="password" inputmode="numeric"')}<p class="muted">${esc(t('supervisorCardHint'))}</p>`, async () => {
    const login = $('sup-login').value.trim();
    const pin = $('sup-pin').value.trim();
    const supervisor = pin ? { login, pin } : { cardNo: login };
    await retry(supervisor);
    closeDialog();
  }, { retry });
}

// ---- coupons ------------------------------------------------------------------------------

/** A coupon code typed (or scanned: the lane presents scanned codes by itself); the engine prices it or says why not. */
function openCoupon() {
  if (!S.sale) return;
  const saleId = S.sale.id;
  openDialog('coupon', t('coupon'), field('coupon-code', t('couponCode'), ''), async () => {
    const code = $('coupon-code').value.trim();
    if (!code) return;
    setSale(await saleApi('POST', `/api/sales/${saleId}/coupons`, { code }));
    closeDialog();
  });
}

// ---- returns -------------------------------------------------------------------------------

/** Returns (退货): find the sale by its receipt QR/id or by member card, choose the lines, see what goes back where. */
function openReturns(saleId = '') {
  openDialog('returns', t('returns'), `${field('return-find', t('returnFind'), saleId)}<div id="return-sales"></div><div id="return-lines"></div><div id="return-result"></div>`, async () => {
    const d = S.dialog;
    if (d.result) return closeDialog();
    if (!d.sale) {
      const q = $('return-find').value.trim();
      if (!q) return;
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-/i.test(q)) return loadReturnSale(q);
      const r = await api('GET', `/api/sales?cardNo=${encodeURIComponent(q)}`);
      d.sales = r.sales;
      $('return-sales').innerHTML = r.sales.length
        ? `<ul id="search-list">${r.sales.map((x, i) => `<li data-i="${i}"${i === 0 ? ' class="selected"' : ''}>${esc(x.id.slice(-8))} · ${money(x.totalMinor)}${x.refundedMinor ? ` (${t('refunded')} ${money(x.refundedMinor)})` : ''}</li>`).join('')}</ul>`
        : `<p class="muted">${esc(t('noResults'))}</p>`;
      if (r.sales.length) await loadReturnSale(r.sales[0].id);
      return;
    }
    const lines = [...document.querySelectorAll('#return-lines input[data-line]')]
      .map((i) => ({ lineNo: Number(i.dataset.line), quantity: parseWhole(i.value) ?? 0 }))
      .filter((l) => l.quantity > 0);
    if (!lines.length) throw new ApiError('VALIDATION_FAILED', t('returnNothing'));
    // Above the refund limit a supervisor approves: their card on the reader, or login + PIN here.
    const supervisor = d.supervisorCard ? { cardNo: d.supervisorCard } : d.needsSupervisor ? readSupervisor() : undefined;
    d.supervisorCard = null;
    let r;
    try {
      r = await api('POST', '/api/refunds', { saleId: d.sale.id, lines, withReceipt: true, ...(supervisor ? { supervisor } : {}) });
    } catch (e) {
      if (!needsSupervisor(e) || d.needsSupervisor) throw e;
      d.needsSupervisor = true;
      $('return-result').innerHTML = supervisorFieldsHtml({ esc, t }, errorText(e.code, e.message));
      $('sup-login').focus();
      return;
    }
    d.result = r;
    const doc = r.refund;
    void printSlip(slipUi(), `/api/lane/refunds/${encodeURIComponent(doc.id)}/print`);
    $('return-lines').innerHTML = '';
    $('return-result').innerHTML = `<h3>${esc(t('refundTotal'))} <b id="refund-total">${money(doc.totalMinor)}</b></h3><ul id="refund-tenders">${doc.tenders
      .map((tn) => {
        if (tn.kind === 'stored_value') return `<li>${esc(t('storedValue'))} ${money(tn.amountMinor)}: ${tn.legs.map((l) => `${esc(t(l.part))} ${money(l.amount)}`).join(', ')}</li>`;
        if (tn.kind === 'points') return `<li>${esc(t('pointsTender'))}: ${tn.points} ${esc(t('points'))} (${money(tn.amountMinor)})</li>`;
        if (tn.kind === 'bank_card') return `<li>${esc(t('bankCard'))} ${money(tn.amountMinor)} — ${esc(t('bankRefundByHand'))}</li>`;
        return `<li>${esc(t('cash'))} ${money(tn.amountMinor)}</li>`;
      })
      .join('')}</ul>${doc.pointsReversed ? `<p>${esc(t('pointsReversed'))}: −${doc.pointsReversed}</p>` : ''}`;
    // The terminal opened the drawer for cash going back.
    say(`${t('refundTotal')} ${money(doc.totalMinor)}${r.drawerOpened ? ` · ${t('drawerOpened')}` : ''}${r.approval ? ` (${t('approvedBy')} ${r.approval.approvedBy})` : ''}`, 'ok');
  });
}

async function loadReturnSale(saleId) {
  const r = await api('GET', `/api/sales/${encodeURIComponent(saleId)}/refunds`);
  if (!S.dialog || S.dialog.kind !== 'returns') return;
  S.dialog.sale = r.sale;
  $('return-lines').innerHTML = `<table><thead><tr><th>#</th><th>${esc(t('item'))}</th><th class="num">${esc(t('qty'))}</th><th class="num">${esc(t('amount'))}</th><th class="num">${esc(t('returnQty'))}</th></tr></thead><tbody>${r.sale.lines
    .map((l) => {
      const left = l.quantity - l.refundedQuantity;
      return `<tr><td>${l.lineNo}</td><td>${esc(l.name)}</td><td class="num">${l.quantity}${l.refundedQuantity ? ` (−${l.refundedQuantity})` : ''}</td><td class="num">${money(l.amountMinor)}</td><td class="num"><input class="qty" data-line="${l.lineNo}" value="0" ${left ? '' : 'disabled'} inputmode="numeric" size="3"></td></tr>`;
    })
    .join('')}</tbody></table>`;
  $('return-lines').querySelector('input:not([disabled])')?.focus();
}

// ---- member desk ---------------------------------------------------------------------------

/** Member desk (会员服务台): balance and points enquiry, top-up with the bonus tiers shown, freeze and report lost. */
async function openDesk() {
  const settings = await api('GET', '/api/settings').catch(() => ({ topUpBonusTiers: [] }));
  const tiers = settings.topUpBonusTiers ?? [];
  const cardNo = S.member?.cardNo ?? '';
  openDialog(
    'desk',
    t('desk'),
    `${field('desk-card', t('cardNoLabel'), cardNo)}<div id="desk-member"></div><div class="vrow" id="desk-cards"></div>
     <p class="muted" id="desk-tiers">${esc(t('bonusRules'))}: ${tiers.map((x) => `${t('topUpTier')} ${money(x.minPrincipalMinor)} → +${money(x.bonusMinor)}`).join(' · ') || t('none')}</p>
     ${field('desk-amount', t('topUpAmount'), '', 'inputmode="decimal"')}
     <p id="desk-bonus" class="muted"></p>
     <div class="vrow"><label><input type="radio" name="desk-tender" value="cash" checked> ${esc(t('cash'))}</label><label><input type="radio" name="desk-tender" value="bank_card"> ${esc(t('bankCard'))}</label></div>
     <div class="vrow" id="desk-actions"><button type="button" class="key small" id="desk-freeze">${esc(t('freeze'))}</button><button type="button" class="key small" id="desk-lost">${esc(t('reportLost'))}</button><button type="button" class="key small" id="desk-register">${esc(t('newMember'))}</button></div><div id="desk-history"></div>`,
    async () => {
      const card = $('desk-card').value.trim();
      if (!card) return;
      const amount = $('desk-amount').value.trim() ? parseMajor($('desk-amount').value, S.digits) : null;
      if (amount === null) {
        await deskShow(card);
        $('desk-amount').focus();
        return;
      }
      if (amount <= 0) throw new ApiError('VALIDATION_FAILED', $('desk-amount').value);
      const tender = document.querySelector('input[name="desk-tender"]:checked')?.value ?? 'cash';
      const r = await api('POST', '/api/lane/top-ups', { cardNo: card, principalMinor: amount, tender });
      say(`${t('topUpDone')}: ${money(r.principalMinor)} + ${t('bonus')} ${money(r.bonusMinor)} · ${t('principal')} ${money(r.balance.principalMinor)} / ${t('bonus')} ${money(r.balance.bonusMinor)}`, 'ok');
      $('desk-amount').value = '';
      offerTopUpRefund(deskUi(), r);
      await deskShow(card);
    },
  );
  if (cardNo) void deskShow(cardNo);
  $('desk-amount').addEventListener('input', () => {
    const a = parseMajor($('desk-amount').value, S.digits);
    let bonus = 0;
    for (const x of tiers) if (a !== null && a >= x.minPrincipalMinor && x.bonusMinor > bonus) bonus = x.bonusMinor;
    $('desk-bonus').textContent = a ? `${t('bonus')} +${money(bonus)}` : '';
  });
  const status = (action) => async () => {
    const card = $('desk-card').value.trim();
    if (!card) return;
    try {
      await api('POST', `/api/cards/${encodeURIComponent(card)}/${action}`, {});
      void printSlip(slipUi(), `/api/lane/cards/${encodeURIComponent(card)}/slip`, { action: action.replace('-', '_') });
      await deskShow(card);
    } catch (e) {
      dialogError(e);
    }
  };
  $('desk-register').addEventListener('click', openRegister);
  $('desk-freeze').addEventListener('click', status('freeze'));
  $('desk-lost').addEventListener('click', status('report-lost'));
  mountDeskCards(deskUi());
}

/** What the desk's card module (desk-cards.js) needs from this page. */
const deskUi = () => ({ S, $, api, esc, t, money, say, errorText, openDialog, closeDialog, dialogError, field, parseMajor, deskShow, supervised, askFor, printSlip: (path, body) => printSlip(slipUi(), path, body) });

/** Registers a member at HQ and issues the card put on the reader (its identity block written here). */
function openRegister() {
  let tappedUid = null;
  openDialog(
    'register',
    t('newMember'),
    `${field('reg-name', t('memberName'), '')}${field('reg-phone', t('phone'), '', 'inputmode="tel"')}${field('reg-birthday', t('birthdayLabel'), '', 'placeholder="YYYY-MM-DD"')}${field('reg-card', t('cardNoLabel'), '', `placeholder="${esc(t('tapBlankCard'))}"`)}`,
    async () => {
      const cardNo = $('reg-card').value.trim().toUpperCase();
      const birthday = $('reg-birthday').value.trim();
      const tapped = tappedUid !== null && cardNo === tappedUid;
      const body = { name: $('reg-name').value.trim(), phone: $('reg-phone').value.trim(), birthday: birthday || null, ...(cardNo ? { card: { cardNo, medium: tapped ? 'mifare' : 'barcode' } } : {}) };
      // Registered once; a card that could not be written is written again on the next Enter.
      if (S.dialog.registered !== cardNo) {
        await api('POST', '/api/members', body);
        S.dialog.registered = cardNo;
      }
      if (tapped) await api('POST', `/api/lane/cards/${encodeURIComponent(cardNo)}/issue`);
      if (cardNo) void printSlip(slipUi(), `/api/lane/cards/${encodeURIComponent(cardNo)}/slip`, { action: 'issue' });
      closeDialog();
      say(`${t('registered')}: ${body.name}${cardNo ? ` · ${cardNo}${tapped ? ` (${t('cardIssued')})` : ''}` : ''}`, 'ok');
    },
    {
      onEvent(type, data) {
        if (type !== 'card-blank') return;
        tappedUid = data.uid;
        $('reg-card').value = data.uid;
      },
    },
  );
}

async function deskShow(cardNo) {
  const m = await api('GET', `/api/lane/members/${encodeURIComponent(cardNo)}`);
  if (!S.dialog || S.dialog.kind !== 'desk') return;
  $('desk-member').innerHTML = `<b>${esc(m.member.name)}</b> · ${esc(m.level?.name ?? '')} · ${esc(t('principal'))} <b id="desk-principal">${money(m.principalMinor)}</b> · ${esc(t('bonus'))} <b id="desk-bonus-balance">${money(m.bonusMinor)}</b> · ${esc(t('points'))} ${m.points}${m.warnings.length ? ` · <span class="warn">${esc(m.warnings.join(' '))}</span>` : ''}`;
  await showDeskCards(deskUi(), m);
}

$('dialog').addEventListener('submit', async (e) => {
  e.preventDefault();
  const d = S.dialog;
  if (!d || d.busy) return;
  try {
    await d.submit();
  } catch (err) {
    if (S.dialog !== d) return showError(err);
    if (err.code === 'PIN_REQUIRED' || err.code === 'WRONG_PIN') showPin();
    dialogError(err);
  }
});
$('dialog-close').addEventListener('click', closeDialog);

// ---- virtual devices panel ---------------------------------------------------------------

async function virtual(body) {
  const r = await act(() => api('POST', '/api/lane/virtual', body));
  if (r) renderSnapshot(r.snapshot);
}

function renderSnapshot(s) {
  $('v-snapshot').innerHTML = `${esc(t('receiptsPrinted'))}: <b id="v-printed">${s.printer.receiptsPrinted}</b> · paper ${s.printer.paperEmpty ? '✗' : '✓'} · cover ${s.printer.coverOpen ? 'open' : 'closed'} · ${esc(t('bankCharged'))}: <b id="v-charged">${money(s.bankCharged_minor)}</b>${s.unplugged.length ? ` · unplugged: ${esc(s.unplugged.join(', '))}` : ''}`;
  $('v-last-receipt').textContent = s.printer.lastReceipt.join('\n');
}

async function toggleVirtual(show = $('virtual-panel').hidden) {
  if (!S.simulated) return;
  $('virtual-panel').hidden = !show;
  if (!show) return;
  const r = await act(() => api('GET', '/api/lane/virtual'));
  if (!r) return;
  $('v-card').innerHTML = r.cards.filter((c) => c.medium === 'mifare').map((c) => `<option value="${esc(c.cardNo)}">${esc(c.cardNo)} ${esc(c.name)} (${esc(c.status)})</option>`).join('');
  const p = await act(() => api('GET', '/api/products?query='));
  $('v-product').innerHTML = (p?.products ?? []).map((x) => `<option value="${esc(x.barcode)}">${esc(x.nameZh || x.name)} ${esc(x.barcode)}</option>`).join('');
  renderSnapshot(r.snapshot);
}

const vButtons = {
  'v-scan-product': () => virtual({ action: 'scan', code: $('v-product').value }),
  'v-scan-code': () => virtual({ action: 'scan', code: $('v-code').value.trim() }),
  'v-present': () => virtual({ action: 'present-card', uid: $('v-card').value }),
  'v-present-clone': () => virtual({ action: 'present-cloned-card', uid: $('v-card').value }),
  'v-remove': () => virtual({ action: 'remove-card' }),
  'v-blank': () => virtual({ action: 'present-cloned-card', uid: $('v-uid').value.trim() }),
  'v-paper-out': () => virtual({ action: 'paper-out' }),
  'v-paper-in': () => virtual({ action: 'paper-in' }),
  'v-cover-open': () => virtual({ action: 'cover-open' }),
  'v-cover-closed': () => virtual({ action: 'cover-closed' }),
  'v-next-approve': () => virtual({ action: 'next-payment', answers: ['approve'] }),
  'v-next-decline': () => virtual({ action: 'next-payment', answers: ['decline'] }),
  'v-next-lose': () => virtual({ action: 'next-payment', answers: ['lose-answer'] }),
  'v-next-none': () => virtual({ action: 'next-payment', answers: ['no-answer'] }),
  'v-unplug': () => virtual({ action: 'unplug', device: $('v-device').value }),
  'v-plug': () => virtual({ action: 'plug-in', device: $('v-device').value }),
};
for (const [id, fn] of Object.entries(vButtons)) $(id).addEventListener('click', fn);
$('virtual-close').addEventListener('click', () => toggleVirtual(false));

// ---- keyboard ----------------------------------------------------------------------------

function switchLanguage() {
  setLanguage(language() === 'zh-CN' ? 'en' : 'zh-CN');
  localStorage.setItem('onecard-language', language());
  renderSale();
  renderStatus();
}

async function reprint() {
  if (!S.lastSale) return;
  const r = await act(() => api('POST', `/api/lane/sales/${S.lastSale.id}/reprint`));
  if (r) say(r.status === 'printed' ? t('receiptPrinted') : `${t('receiptQueued')}${r.message ?? ''}`, r.status === 'printed' ? 'ok' : 'error');
}

function newSale() {
  if (S.sale && S.sale.lines.length) return say(`${t('finish')} (F9) / ${t('cancelSale')} (F10)`, 'error');
  S.lastSale = null;
  S.member = null;
  renderSale();
  say('');
  $('code-input').focus();
}

function moveSelection(step) {
  const lines = S.sale?.lines ?? [];
  if (!lines.length) return;
  const i = lines.findIndex((l) => l.lineNo === S.selected);
  const next = i < 0 ? (step < 0 ? lines.length - 1 : 0) : Math.max(0, Math.min(lines.length - 1, i + step));
  S.selected = lines[next].lineNo;
  renderSale();
}

const KEYS = {
  F1: newSale,
  F2: openMemberEntry,
  F3: () => openSearch(''),
  F4: () => voidLine(),
  F5: openCash,
  F6: openStoredValue,
  F7: openPoints,
  F8: openBankCard,
  F9: finish,
  F10: openCancel,
  F11: () => toggleVirtual(),
  F12: switchLanguage,
};

document.addEventListener('keydown', (e) => {
  // The sign-in screen takes the keys; F11 still opens the simulated devices (to tap an operator
  // card) and F12 still switches the language (a cashier signs in in theirs).
  if (staff.locked() && e.key !== 'F11' && !(e.key === 'F12' && !e.shiftKey)) return;
  if (S.dialog) {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeDialog();
    } else if (e.key === 'Enter' && !$('dialog').contains(e.target)) {
      // Focus strayed outside the dialog (a click elsewhere): Enter still confirms it.
      e.preventDefault();
      $('dialog').requestSubmit();
    } else S.dialog.onKey?.(e);
    return;
  }
  if (e.shiftKey && (e.key === 'F5' || e.key === 'F12')) {
    e.preventDefault();
    if (e.key === 'F5') void noSale();
    else void staff.signOut();
    return;
  }
  if (e.shiftKey && (e.key === 'F9' || e.key === 'F2' || e.key === 'F4' || e.key === 'F1' || e.key === 'F7')) {
    e.preventDefault();
    if (e.key === 'F7') openCoupon();
    else if (e.key === 'F9') void reprint();
    else if (e.key === 'F1') void act(openShift);
    else if (e.key === 'F2') void act(openDesk);
    else openReturns();
    return;
  }
  const fn = KEYS[e.key];
  if (fn) {
    e.preventDefault();
    void fn();
    return;
  }
  if (e.key === 'ArrowUp' || e.key === 'ArrowDown') {
    e.preventDefault();
    moveSelection(e.key === 'ArrowUp' ? -1 : 1);
    return;
  }
  if (e.key === 'Delete' && document.activeElement === $('code-input') && !$('code-input').value) {
    e.preventDefault();
    void voidLine();
    return;
  }
  // Typing anywhere goes to the code field, so the cashier never has to click into it.
  const inField = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement;
  if (!inField && e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) $('code-input').focus();
});

$('code-input').addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  e.preventDefault();
  const v = e.target.value;
  e.target.value = '';
  void addCode(v);
});

const BUTTONS = { 'btn-new': 'F1', 'btn-member': 'F2', 'btn-search': 'F3', 'btn-void': 'F4', 'btn-cash': 'F5', 'btn-sv': 'F6', 'btn-points': 'F7', 'btn-card': 'F8', 'btn-finish': 'F9', 'btn-cancel': 'F10', 'btn-virtual': 'F11', 'btn-lang': 'F12' };
for (const [id, key] of Object.entries(BUTTONS)) $(id).addEventListener('click', () => void KEYS[key]());
$('btn-reprint').addEventListener('click', () => void reprint());
$('btn-desk').addEventListener('click', () => void act(openDesk));
$('btn-coupon').addEventListener('click', openCoupon);
$('btn-shift').addEventListener('click', () => void act(openShift));
$('btn-returns').addEventListener('click', () => openReturns());
mountPriceDiscount({ S, $, esc, money, saleApi, setSale, openDialog, closeDialog, field, askSupervisor, say, errorText });
$('btn-no-sale').addEventListener('click', () => void noSale());
$('btn-lock').addEventListener('click', () => void staff.signOut());
$('basket-body').addEventListener('click', (e) => {
  const v = e.target.closest('button.void');
  if (v) return void voidLine(Number(v.dataset.line));
  const row = e.target.closest('tr[data-line]');
  if (row) {
    S.selected = Number(row.dataset.line);
    renderSale();
  }
});

// ---- events stream -----------------------------------------------------------------------

function applySnapshot(s) {
  S.digits = s.minorDigits;
  S.sign = s.currencySign;
  S.simulated = s.simulated;
  S.devices = s.devices;
  S.waitingReceipts = s.waitingReceipts;
  S.link = s.link;
  $('store-name').textContent = s.storeName;
  if (!localStorage.getItem('onecard-language')) setLanguage(s.language);
  if (s.sale) setSale(s.sale);
  if (s.member) S.member = s.member;
  renderSale();
  renderStatus();
}

function connect() {
  const source = new EventSource(`/api/events?token=${encodeURIComponent(token)}`);
  const on = (type, fn) =>
    source.addEventListener(type, (ev) => {
      const data = JSON.parse(ev.data);
      fn(data);
      S.dialog?.onEvent?.(type, data);
    });
  on('hello', applySnapshot);
  on('sale', (sale) => {
    saleEvents++;
    setSale(sale);
  });
  on('member', (m) => {
    S.member = m;
    renderMember();
  });
  on('lane-error', (e) => say(errorText(e.code, e.message), 'error'));
  on('device-error', (e) => say(`${e.device}: ${e.message}`, 'error'));
  on('devices', (d) => {
    S.devices = d.devices;
    S.waitingReceipts = d.waitingReceipts;
    renderStatus();
  });
  on('receipt', (r) => {
    S.waitingReceipts = r.waitingReceipts;
    renderStatus();
    if (r.type === 'receipt-queued') {
      S.receiptQueued = r;
      say(`${t('receiptQueued')}${r.message}`, 'error');
    }
    else if (r.reprint) say(t('receiptReprinted'), 'ok');
  });
  on('link', (l) => {
    S.link = l;
    renderStatus();
  });
  on('payment', () => {});
  // An operator's card on the reader: it signs in, or approves what the supervisor prompt asks.
  on('operator-card', async (c) => {
    if (staff.cardTapped(c.cardNo)) return;
    if (S.dialog?.kind === 'returns' && S.dialog.needsSupervisor) {
      S.dialog.supervisorCard = c.cardNo;
      $('dialog').requestSubmit();
    } else if (S.dialog?.kind === 'supervisor') {
      try {
        await S.dialog.retry({ cardNo: c.cardNo });
        closeDialog();
      } catch (e) {
        dialogError(e);
      }
    } else say(t('operatorCardHint'), 'error');
  });
  on('card-blank', (c) => {
    if (S.dialog?.kind !== 'register' && S.dialog?.kind !== 'replace') say(`${t('blankCard')} ${c.uid}`, 'error');
  });
  // A receipt's QR scanned at the lane: the returns screen opens on that sale.
  on('receipt-scanned', (r) => {
    if (!S.dialog) {
      openReturns(r.saleId);
      void act(() => loadReturnSale(r.saleId));
    }
  });
  source.onopen = () => document.body.dataset.stream = 'open';
  source.onerror = () => document.body.dataset.stream = 'reconnecting';
}

setLanguage(localStorage.getItem('onecard-language') ?? 'zh-CN');
const staff = mountStaff({ api, t, esc, say, errorText, refreshSession });
renderSale();
renderStatus();
connect();
void refreshSession();
$('code-input').focus();
window.onecard = { state: S };
