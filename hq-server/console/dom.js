// Small DOM helpers: every text from the server goes in through textContent, never innerHTML.

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

export const section = (title, ...children) => el('section', {}, title ? el('h2', {}, title) : null, ...children);

/** A table from column specs: { header, cell(row) → text | Node, num? }. */
export function table(columns, rows, attrs = {}) {
  return el('table', attrs,
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { class: c.num ? 'num' : undefined }, c.header)))),
    el('tbody', {}, rows.map((r) => el('tr', {}, columns.map((c) => el('td', { class: c.num ? 'num' : undefined }, c.cell(r)))))));
}

export function errorBox(e) {
  return el('div', { class: 'error', role: 'alert' }, e instanceof Error ? e.message : String(e));
}

export const tag = (text, kind) => el('span', { class: 'tag' + (kind ? ' ' + kind : '') }, text);
