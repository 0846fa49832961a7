// What the bank-card dialog says while the customer is at the card terminal: only what the
// terminal itself reported (the lane's `payment` events carry the driver's stable codes).
import { t } from './i18n.js';

const KNOWN = new Set(['REQUEST_SENT', 'INSERT_CARD', 'CONFIRM_AMOUNT', 'SELECT_INSTALLMENTS', 'ENTER_PIN', 'SELECT_ACCOUNT', 'AUTHORIZING', 'TERMINAL_BUSY', 'RESOLVING']);

/** The cashier's sentence for a progress code; '' once the attempt is over (DONE). */
export function progressText(stage, terminalCode) {
  if (stage === 'DONE') return '';
  const code = KNOWN.has(stage) ? stage : 'TERMINAL_BUSY';
  const text = t(`pay_${code}`);
  return code === 'TERMINAL_BUSY' && terminalCode ? `${text} (${terminalCode})` : text;
}

/** Shows a `payment` event of this tender in the dialog's progress line (kept as data-stage for the page's tests). */
export function showProgress(el, data) {
  if (!el) return;
  el.textContent = progressText(data.stage, data.terminalCode);
  el.dataset.stage = data.stage;
}
