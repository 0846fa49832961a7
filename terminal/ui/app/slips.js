// Slips of money actions (refund, card actions at the desk) and the day close on the shift
// screen. The terminal prints each from what it recorded; the page only says which one and
// reports whether it printed or waits in the printer queue.

/**
 * Asks the lane to print a slip. A printed slip is on paper and the action's own message stays on
 * screen; a queued one (reprinted whole when paper is back) or one that failed is said.
 */
export async function printSlip(ui, path, body = {}) {
  const r = await ui.api('POST', path, body).catch((e) => ({ status: 'failed', message: e.message }));
  if (r.status !== 'printed') ui.say(`${r.status === 'queued' ? ui.t('receiptQueued') : ui.t('slipFailed')}${r.message ?? ''}`, 'error');
  return r;
}

function totalsHtml(ui, d) {
  const rows = d.tenders
    .map((tn) => `<tr data-kind="${ui.esc(tn.kind)}"><td>${ui.esc(ui.tenderName(tn.kind))}</td><td class="num">${ui.money(tn.salesMinor)}</td><td class="num">${ui.money(tn.refundsMinor)}</td><td class="num"><b>${ui.money(tn.salesMinor - tn.refundsMinor)}</b></td></tr>`)
    .join('');
  return `<h3>${ui.esc(ui.t('dayClose'))} ${ui.esc(d.businessDate)}</h3>
    <div>${ui.esc(ui.t('salesCount'))}: ${d.saleCount} · ${ui.esc(ui.t('refundsCount'))}: ${d.refundCount} · ${ui.esc(ui.t('topUps'))}: ${ui.money(d.topUpTotalMinor)}</div>
    <table id="day-close-tenders"><thead><tr><th></th><th class="num">${ui.esc(ui.t('dayIn'))}</th><th class="num">${ui.esc(ui.t('dayOut'))}</th><th class="num">${ui.esc(ui.t('dayNet'))}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * Adds the day-close button to `container` (the shift screen after the shift is closed): asks
 * for confirmation, closes the day (POST /api/day-close), shows its totals by tender and prints
 * the summary.
 */
export function mountDayClose(container, ui) {
  const box = document.createElement('div');
  box.id = 'day-close';
  box.innerHTML = `<div class="vrow"><button type="button" class="key small" id="day-close-button">${ui.esc(ui.t('dayClose'))}</button></div><div id="day-close-confirm" hidden><p>${ui.esc(ui.t('confirmDayClose'))}</p><div class="vrow"><button type="button" class="key small" id="day-close-yes">${ui.esc(ui.t('dayCloseYes'))}</button><button type="button" class="key small" id="day-close-no">${ui.esc(ui.t('dayCloseNo'))}</button></div></div><div id="day-close-result"></div>`;
  container.appendChild(box);
  const $ = (id) => box.querySelector(`#${id}`);
  $('day-close-button').addEventListener('click', () => {
    $('day-close-confirm').hidden = false;
    $('day-close-yes').focus();
  });
  $('day-close-no').addEventListener('click', () => {
    $('day-close-confirm').hidden = true;
  });
  $('day-close-yes').addEventListener('click', async () => {
    $('day-close-yes').disabled = true;
    try {
      const r = await ui.api('POST', '/api/day-close', {});
      $('day-close-confirm').hidden = true;
      $('day-close-button').disabled = true;
      $('day-close-result').innerHTML = totalsHtml(ui, r.dayClose);
      box.dataset.state = 'closed';
      const printed = await printSlip(ui, `/api/lane/day-closes/${encodeURIComponent(r.dayClose.id)}/print`);
      if (printed.status === 'printed') $('day-close-result').insertAdjacentHTML('beforeend', `<p class="muted">${ui.esc(ui.t('slipPrinted'))}</p>`);
    } catch (e) {
      $('day-close-result').textContent = ui.errorText(e.code, e.message);
    } finally {
      $('day-close-yes').disabled = false;
    }
  });
}
