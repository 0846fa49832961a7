// The member desk's card work: the member's cards (pick one), replace a card by tapping a blank
// one on the reader, move stored value between the member's cards, the member's recent
// purchases and top-ups here and at other stores (each store by its name), and giving back a
// top-up. HQ does the work (through the till's routes); the page says which card and prints the
// slip the terminal makes from what HQ answered.

/** Renders the member's cards into #desk-cards, their recent sales into #desk-history and top-ups into #desk-top-ups. */
export async function showDeskCards(ui, panel) {
  const [view, history, topUps] = await Promise.all([
    ui.api('GET', `/api/members/${encodeURIComponent(panel.member.id)}`).catch(() => null),
    ui.api('GET', `/api/sales?cardNo=${encodeURIComponent(panel.cardNo)}`).catch((e) => ({ error: e })),
    ui.api('GET', `/api/members/${encodeURIComponent(panel.member.id)}/top-ups`).catch((e) => ({ error: e })),
  ]);
  const cards = ui.$('desk-cards');
  if (!cards) return; // the desk closed meanwhile
  cards.innerHTML = (view?.cards ?? [])
    .map((c) => `<button type="button" class="key small desk-card-pick" data-card="${ui.esc(c.cardNo)}" data-status="${ui.esc(c.status)}"${c.cardNo === panel.cardNo ? ' aria-pressed="true"' : ''}>${ui.esc(c.cardNo)} · ${ui.esc(ui.t(`cardStatus_${c.status}`))} · ${ui.money(c.principalMinor + c.bonusMinor)}</button>`)
    .join('');
  ui.$('desk-history').innerHTML = history.error
    ? `<p class="muted">${ui.esc(ui.errorText(history.error.code, history.error.message))}</p>`
    : `<h4>${ui.esc(ui.t('history'))}</h4>${history.sales.length ? `<ul id="desk-history-list">${history.sales.map((s) => saleRow(ui, s)).join('')}</ul>` : `<p class="muted">${ui.esc(ui.t('noHistory'))}</p>`}`;
  showTopUps(ui, topUps);
}

/** A store as the desk names it: its name when the till or HQ knows it, else its id. */
const storeLabel = (s) => s.storeName || s.storeId;

function saleRow(ui, s) {
  const when = new Date(s.completedAt).toLocaleString(ui.t('locale'), { hour12: false });
  const where = s.madeHere ? `${ui.t('thisTerminal')} ${storeLabel(s)}` : `${ui.t('otherStore')} ${storeLabel(s)}`;
  const items = s.lines.map((l) => `${l.name}×${l.quantity}`).join(', ');
  return `<li data-sale="${ui.esc(s.id)}" data-store="${ui.esc(s.storeId)}" data-here="${s.madeHere}">${ui.esc(when)} · ${ui.esc(where)} · <b>${ui.money(s.totalMinor)}</b>${s.refundedMinor ? ` (${ui.esc(ui.t('refunded'))} ${ui.money(s.refundedMinor)})` : ''} <span class="muted">${ui.esc(items)}</span></li>`;
}

/**
 * The member's recent top-ups (any store when HQ answers; offline, this till's only, and the desk
 * says so), each with a button to give it back unless it already was.
 */
function showTopUps(ui, r) {
  const box = ui.$('desk-top-ups');
  if (!box) return;
  if (r.error) {
    box.innerHTML = `<p class="muted">${ui.esc(ui.errorText(r.error.code, r.error.message))}</p>`;
    return;
  }
  const offline = r.source === 'this_terminal' ? `<p class="warn" id="desk-top-ups-offline">${ui.esc(ui.t('topUpsThisTillOnly'))}</p>` : '';
  const rows = r.topUps.map((x) => {
    const when = new Date(x.completedAt).toLocaleString(ui.t('locale'), { hour12: false });
    const where = x.madeHere ? `${ui.t('thisTerminal')} ${storeLabel(x)}` : storeLabel(x);
    const action = x.refunded
      ? `<span class="muted">${ui.esc(ui.t('refunded'))}</span>`
      : `<button type="button" class="key small desk-top-up-give-back" data-top-up="${ui.esc(x.id)}">${ui.esc(ui.t('refundTopUp'))}</button>`;
    return `<li data-top-up="${ui.esc(x.id)}" data-store="${ui.esc(x.storeId)}" data-here="${x.madeHere}" data-refunded="${x.refunded}">${ui.esc(when)} · ${ui.esc(where)} · ${ui.esc(ui.t('principal'))} <b>${ui.money(x.principalMinor)}</b> · ${ui.esc(ui.t('bonus'))} ${ui.money(x.bonusMinor)}${x.cardNo ? ` · ${ui.esc(x.cardNo)}` : ''} ${action}</li>`;
  });
  box.innerHTML = `<h4>${ui.esc(ui.t('recentTopUps'))}</h4>${offline}${rows.length ? `<ul id="desk-top-ups-list">${rows.join('')}</ul>` : `<p class="muted">${ui.esc(ui.t('noTopUps'))}</p>`}`;
}

/** Adds the replace and transfer buttons to the desk dialog; a click on one of the member's cards picks it. */
export function mountDeskCards(ui) {
  ui.$('desk-actions').insertAdjacentHTML(
    'beforeend',
    `<button type="button" class="key small" id="desk-replace">${ui.esc(ui.t('replaceCard'))}</button><button type="button" class="key small" id="desk-transfer">${ui.esc(ui.t('transferBalance'))}</button>`,
  );
  ui.$('desk-history').insertAdjacentHTML('afterend', '<div id="desk-top-ups"></div>');
  ui.$('desk-top-ups').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-top-up]');
    if (b) giveBack(ui, b.dataset.topUp, b);
  });
  ui.$('desk-cards').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-card]');
    if (!b) return;
    ui.$('desk-card').value = b.dataset.card;
    void ui.deskShow(b.dataset.card).catch(ui.dialogError);
  });
  const picked = () => ui.$('desk-card').value.trim();
  ui.$('desk-replace').addEventListener('click', () => picked() && openReplace(ui, picked()));
  ui.$('desk-transfer').addEventListener('click', () => picked() && void openTransfer(ui, picked()).catch(ui.dialogError));
}

/**
 * Replaces `oldCardNo` with the blank card put on the reader (or a card number typed, for a
 * barcode card): HQ makes the new card and moves the balance, this lane writes the new card's
 * identity block, then the slip names both cards. A step that failed is retried alone on Enter.
 */
export function openReplace(ui, oldCardNo) {
  let tappedUid = null;
  ui.openDialog(
    'replace',
    `${ui.t('replaceCard')} · ${oldCardNo}`,
    `<p id="replace-old" data-card="${ui.esc(oldCardNo)}">${ui.esc(ui.t('oldCard'))}: <b>${ui.esc(oldCardNo)}</b></p>${ui.field('replace-new', ui.t('newCardNo'), '', `placeholder="${ui.esc(ui.t('tapBlankCard'))}"`)}${ui.field('replace-reason', ui.t('reasonLabel'), '')}<div id="replace-result"></div>`,
    async () => {
      const d = ui.S.dialog;
      if (d.done) return ui.closeDialog();
      const newCardNo = ui.$('replace-new').value.trim().toUpperCase();
      if (!newCardNo) throw Object.assign(new Error(ui.t('tapBlankCard')), { code: 'VALIDATION_FAILED' });
      const tapped = tappedUid !== null && newCardNo === tappedUid;
      const reason = ui.$('replace-reason').value.trim();
      if (d.replacedBy !== newCardNo) {
        const view = await ui.api('POST', `/api/cards/${encodeURIComponent(oldCardNo)}/replace`, { ...(reason ? { reason } : {}), newCard: { cardNo: newCardNo, medium: tapped ? 'mifare' : 'barcode' } });
        d.replacedBy = newCardNo;
        d.view = view;
      }
      if (tapped && !d.issued) {
        await ui.api('POST', `/api/lane/cards/${encodeURIComponent(newCardNo)}/issue`);
        d.issued = true;
      }
      d.done = true;
      const card = d.view.cards.find((c) => c.cardNo === newCardNo);
      ui.$('replace-result').innerHTML = `<p id="replace-done" data-new-card="${ui.esc(newCardNo)}">${ui.esc(ui.t('cardReplaced'))}: ${ui.esc(oldCardNo)} → <b>${ui.esc(newCardNo)}</b>${tapped ? ` (${ui.esc(ui.t('cardIssued'))})` : ''} · ${ui.esc(ui.t('principal'))} ${ui.money(card?.principalMinor ?? 0)} · ${ui.esc(ui.t('bonus'))} ${ui.money(card?.bonusMinor ?? 0)} · ${ui.esc(ui.t('points'))} ${d.view.points}</p>`;
      ui.say(`${ui.t('cardReplaced')}: ${oldCardNo} → ${newCardNo}`, 'ok');
      await ui.printSlip(`/api/lane/cards/${encodeURIComponent(oldCardNo)}/slip`, { action: 'replace', newCardNo, ...(reason ? { reason } : {}) });
    },
    {
      onEvent(type, data) {
        if (type !== 'card-blank' || ui.S.dialog?.replacedBy) return;
        tappedUid = data.uid;
        ui.$('replace-new').value = data.uid;
      },
    },
  );
}

/** Moves stored value from `fromCardNo` to another card of the same member (all of it when no amount is given), then prints the slip. */
export async function openTransfer(ui, fromCardNo) {
  const from = await ui.api('GET', `/api/lane/members/${encodeURIComponent(fromCardNo)}`);
  const view = await ui.api('GET', `/api/members/${encodeURIComponent(from.member.id)}`);
  const other = view.cards.find((c) => c.cardNo !== fromCardNo && c.status === 'active');
  ui.openDialog(
    'transfer',
    `${ui.t('transferBalance')} · ${fromCardNo}`,
    `<p>${ui.esc(ui.t('storedValue'))}: ${ui.money(from.principalMinor + from.bonusMinor)}</p>${ui.field('transfer-to', ui.t('transferTo'), other?.cardNo ?? '')}${ui.field('transfer-amount', ui.t('amountLabel'), '', `inputmode="decimal" placeholder="${ui.esc(ui.t('transferAll'))}"`)}`,
    async () => {
      const toCardNo = ui.$('transfer-to').value.trim();
      if (!toCardNo) return;
      const typed = ui.$('transfer-amount').value.trim();
      const amountMinor = typed ? ui.parseMajor(typed, ui.S.digits) : from.principalMinor + from.bonusMinor;
      if (amountMinor === null || amountMinor <= 0) throw Object.assign(new Error(typed || '0'), { code: 'VALIDATION_FAILED' });
      await ui.api('POST', `/api/cards/${encodeURIComponent(fromCardNo)}/transfer-balance`, { toCardNo, ...(typed ? { amountMinor } : {}) });
      ui.closeDialog();
      ui.say(`${ui.t('balanceMoved')}: ${fromCardNo} → ${toCardNo} ${ui.money(amountMinor)}`, 'ok');
      await ui.printSlip(`/api/lane/cards/${encodeURIComponent(fromCardNo)}/transfer-slip`, { toCardNo, amountMinor });
    },
  );
}

/**
 * After a top-up at the desk: a button that gives it back (principal paid out by its tender, its
 * bonus clawed back first) and prints the top-up refund slip. Above the refund limit a supervisor
 * approves, as for a sale's refund.
 */
export function offerTopUpRefund(ui, topUp) {
  ui.$('desk-topup-refund')?.remove();
  ui.$('desk-actions').insertAdjacentHTML('beforeend', `<button type="button" class="key small" id="desk-topup-refund" data-top-up="${ui.esc(topUp.id)}">${ui.esc(ui.t('refundTopUp'))} ${ui.money(topUp.principalMinor)}</button>`);
  const button = ui.$('desk-topup-refund');
  button.addEventListener('click', () => giveBack(ui, topUp.id, button));
}

/**
 * Gives a top-up back through the till's top-up refund route (a top-up made at another till or
 * store comes from HQ), prints its slip, and shows the desk again. A supervisor approves above
 * the refund limit; one already given back is refused and said so plainly.
 */
function giveBack(ui, topUpId, button) {
  const run = async (supervisor) => {
    const r = await ui.api('POST', `/api/top-ups/${encodeURIComponent(topUpId)}/refund`, supervisor ? { supervisor } : {});
    if (ui.$('desk-topup-refund')?.dataset.topUp === topUpId) ui.$('desk-topup-refund').remove();
    ui.say(`${ui.t('topUpRefunded')}: ${ui.money(r.topUpRefund.principalMinor)} · ${ui.t('bonus')} −${ui.money(r.topUpRefund.bonusClawedBackMinor)}`, 'ok');
    await ui.printSlip(`/api/lane/top-up-refunds/${encodeURIComponent(r.topUpRefund.id)}/print`);
    await refreshDesk(ui);
  };
  button.disabled = true;
  void ui
    .supervised(run, ui.askFor)
    .catch(async (e) => {
      if (e?.code !== 'CONFLICT' || e.details?.reason !== 'already_refunded') return ui.dialogError(e);
      ui.say(`${ui.t('topUpAlreadyRefunded')} (${e.code})`, 'error');
      ui.dialogError(e);
      await refreshDesk(ui);
    })
    .finally(() => {
      button.disabled = false;
    });
}

async function refreshDesk(ui) {
  const card = ui.$('desk-card')?.value.trim();
  if (ui.S.dialog?.kind === 'desk' && card) await ui.deskShow(card).catch(ui.dialogError);
}
