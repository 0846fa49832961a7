// The console's one door to HQ: the REST API with the signed-in operator's token.
// The token and operator are shared with the first console page (/) through sessionStorage.

const TOKEN = 'onecard.token';
const OPERATOR = 'onecard.operator';

export const session = {
  get token() { return sessionStorage.getItem(TOKEN); },
  get operator() { return JSON.parse(sessionStorage.getItem(OPERATOR) || 'null'); },
  set(token, operator) { sessionStorage.setItem(TOKEN, token); sessionStorage.setItem(OPERATOR, JSON.stringify(operator)); },
  clear() { sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(OPERATOR); },
};

export class ApiError extends Error {
  constructor(status, code, message) { super(`${code}: ${message}`); this.status = status; this.code = code; }
}

let onSignedOut = () => {};
export function whenSignedOut(f) { onSignedOut = f; }

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (session.token) headers.authorization = 'Bearer ' + session.token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({ error: { code: 'INTERNAL', message: res.statusText } }));
  if (!res.ok) {
    if (res.status === 401 && path !== '/sessions') { session.clear(); onSignedOut(); }
    throw new ApiError(res.status, data.error ? data.error.code : 'INTERNAL', data.error ? data.error.message : res.statusText);
  }
  return data;
}

/**
 * Downloads an export, showing progress: rows for CSV (counted as lines arrive, out of the
 * X-Export-Rows header), bytes for .xlsx (compressed, so rows cannot be counted on the way).
 */
export async function download(path, fallbackName, onProgress) {
  const res = await fetch('/api/v1' + path, { headers: { authorization: 'Bearer ' + session.token } });
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    throw new ApiError(res.status, data.error ? data.error.code : 'INTERNAL', data.error ? data.error.message : res.statusText);
  }
  const total = Number(res.headers.get('x-export-rows') || 0);
  const csv = (res.headers.get('content-type') || '').startsWith('text/csv');
  const reader = res.body.getReader();
  const chunks = [];
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    bytes += value.length;
    if (csv) for (const b of value) if (b === 10) lines += 1;
    onProgress({ bytes, rows: csv ? Math.max(0, lines - 1) : null, totalRows: total || null });
  }
  const disposition = res.headers.get('content-disposition') || '';
  const m = /filename\*=UTF-8''([^;]+)/.exec(disposition);
  const name = m ? decodeURIComponent(m[1]) : fallbackName;
  const blob = new Blob(chunks, { type: res.headers.get('content-type') || 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  onProgress({ bytes, rows: csv ? Math.max(0, lines - 1) : total || null, totalRows: total || null, done: true });
  return { name, bytes };
}

/** Integer minor units (fen) as yuan text, without floating point. */
export function money(minor, currency = 'CNY') {
  if (minor === null || minor === undefined) return '';
  const sign = minor < 0 ? '-' : '';
  const abs = String(Math.abs(minor)).padStart(3, '0');
  const major = abs.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return sign + (currency === 'CNY' ? '¥' : currency + ' ') + major + '.' + abs.slice(-2);
}

export const integer = (n) => (n === null || n === undefined ? '' : String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','));

/** Today in the chain's time zone (Asia/Shanghai for the demo), as YYYY-MM-DD. */
export function today(timeZone = 'Asia/Shanghai') {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

export function time(ms, timeZone = 'Asia/Shanghai') {
  return new Intl.DateTimeFormat('zh-CN', { timeZone, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(ms));
}
