// The chain's settings (core/settings.ts): every key with its value in the units people read, what
// it does in Chinese and English, and an editor. Saving is PUT /settings/{key}, which checks
// setting.write at HQ, validates the value and writes the audit log; this page checks what it can
// first (yuan with at most 2 decimals, whole numbers, rates) and sends nothing while a field is wrong.
// Settings are chain-wide, one value per key for every region and store; the only per-store values
// sit inside a setting (the store points multipliers), so that is where a store is chosen.
import { api, integer, money, session, time } from '../api.js';
import { el, errorBox, section } from '../dom.js';
import { parseYuan, yuanText } from '../yuan.js';

class FieldError extends Error {}
const fail = (label, message) => { throw new FieldError(`${label}: ${message}`); };

/** "0.006" → "0.6%", by moving the point (no floats). */
function percent(fraction) {
  const [whole, frac = ''] = String(fraction).split('.');
  const shifted = (whole + frac.padEnd(2, '0').slice(0, 2)).replace(/^0+(?=\d)/, '');
  const rest = frac.slice(2).replace(/0+$/, '');
  return `${shifted}${rest ? '.' + rest : ''}%`;
}

// Each kind of value: show(v) → text; edit(v, label, name) → { node, read() → value or FieldError }.

const moneyKind = () => ({
  show: (v) => money(v),
  edit(v, label, name) {
    const input = el('input', { name, 'aria-label': label, value: yuanText(v), inputmode: 'decimal', size: 12, placeholder: '0.00' });
    return {
      node: el('span', {}, '¥ ', input),
      read() {
        const r = parseYuan(input.value);
        if (!r.ok) fail(label, r.message);
        return r.minor;
      },
    };
  },
});

const intKind = ({ min = 0, max = Number.MAX_SAFE_INTEGER, unit = '', optional = false } = {}) => ({
  show: (v) => (v === undefined ? '—' : integer(v) + unit),
  edit(v, label, name) {
    const input = el('input', { name, 'aria-label': label, value: v ?? '', inputmode: 'numeric', size: 6 });
    return {
      node: unit ? el('span', {}, input, unit) : input,
      read() {
        const s = input.value.trim();
        if (optional && s === '') return undefined;
        if (!/^\d+$/.test(s)) fail(label, `请输入 ${min}–${max} 的整数 enter a whole number from ${min} to ${max}`);
        const n = Number(s);
        if (n < min || n > max) fail(label, `须在 ${min}–${max} 之间 must be from ${min} to ${max}`);
        return n;
      },
    };
  },
});

/** A non-negative decimal kept as a string ("1.5"), as the server stores it; `rate` also shows it as %. */
const decimalKind = ({ rate = false } = {}) => ({
  show: (v) => (rate ? `${v} (${percent(v)})` : `${v}`),
  edit(v, label, name) {
    const input = el('input', { name, 'aria-label': label, value: v ?? '', inputmode: 'decimal', size: 8 });
    return {
      node: input,
      read() {
        const s = input.value.trim();
        if (!/^\d+(\.\d+)?$/.test(s)) fail(label, `"${s}" 不是非负小数 is not a non-negative decimal such as ${rate ? '0.02' : '1.5'}`);
        return s;
      },
    };
  },
});

/** `list`: id of a <datalist> to suggest from; `names`: id → name, shown beside the value. */
const textKind = ({ optional = false, pattern = null, hint = '', list = undefined, names = null } = {}) => ({
  show: (v) => (v === undefined ? '—' : names?.has(v) ? `${v} ${names.get(v)}` : v),
  edit(v, label, name) {
    const input = el('input', { name, 'aria-label': label, value: v ?? '', size: 12, placeholder: hint, list });
    return {
      node: input,
      read() {
        const s = input.value.trim();
        if (s === '') { if (optional) return undefined; fail(label, '必填 is required'); }
        if (pattern && !pattern.test(s)) fail(label, `"${s}" ${hint}`);
        return s;
      },
    };
  },
});

const enumKind = (options) => ({
  show: (v) => (options.find(([value]) => value === v)?.[1] ?? String(v)),
  edit(v, label, name) {
    const select = el('select', { name, 'aria-label': label }, options.map(([value, text]) => el('option', { value, selected: value === v }, text)));
    return { node: select, read: () => select.value };
  },
});

/** A list of texts, one per line (or comma-separated); `inline`: one comma-separated input. */
const textsKind = ({ inline = false } = {}) => ({
  show: (v) => (v.length ? v.join(', ') : '无 none'),
  edit(v, label, name) {
    const input = inline ? el('input', { name, 'aria-label': label, size: 10 }) : el('textarea', { name, 'aria-label': label, rows: 3, cols: 30 });
    input.value = v.join(inline ? ', ' : '\n');
    return { node: input, read: () => input.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean) };
  },
});

const yesNoKind = () => ({
  show: (v) => (v ? '有 yes' : '无 no'),
  edit(v, label, name) {
    const box = el('input', { type: 'checkbox', name, checked: Boolean(v) });
    return { node: box, read: () => box.checked };
  },
});

/** `lines`: one field per line (for objects holding lists). */
const objectKind = (fields, { lines = false } = {}) => ({
  show: (v) => fields.filter(([key]) => v[key] !== undefined).map(([key, label, kind]) => `${label}: ${kind.show(v[key])}`).join(lines ? '\n' : ' · '),
  edit(v, label, name) {
    const editors = fields.map(([key, label, kind]) => [key, label, kind.edit(v[key], label, `${name}.${key}`)]);
    return {
      node: el('span', { class: 'setting-fields' }, editors.map(([, label, e]) => el('label', { style: 'display: inline-block; margin: 2px 12px 2px 0' }, label, ' ', e.node))),
      read() {
        const out = {};
        for (const [key, , e] of editors) {
          const value = e.read();
          if (value !== undefined) out[key] = value;
        }
        return out;
      },
    };
  },
});

/** null, or a value of `of`; a checkbox turns it on (starting from `blank`). */
const nullableKind = (of, { none, on, blank }) => ({
  show: (v) => (v === null ? none : of.show(v)),
  edit(v, label, name) {
    const box = el('input', { type: 'checkbox', name: `${name}.on`, checked: v !== null });
    const inner = of.edit(v ?? blank, label, name);
    const wrap = el('span', { hidden: v === null }, inner.node);
    box.addEventListener('change', () => { wrap.hidden = !box.checked; });
    return { node: el('span', {}, el('label', {}, box, ' ', on), ' ', wrap), read: () => (box.checked ? inner.read() : null) };
  },
});

/** Rows of `of`, added and removed in place; `blank` is a new row. */
const listKind = (of, blank, { empty = '无 none' } = {}) => ({
  show: (v) => (v.length ? v.map((row) => of.show(row)).join('\n') : empty),
  edit(v, label, name) {
    const rows = el('div', { class: 'setting-rows' });
    const editors = [];
    let made = 0;
    const add = (value) => {
      const e = of.edit(value, label, `${name}.${made++}`);
      const line = el('div', { class: 'row' }, e.node, el('button', { type: 'button', class: 'secondary', onclick: () => { line.remove(); editors.splice(editors.indexOf(e), 1); } }, '删除 Remove'));
      editors.push(e);
      rows.append(line);
    };
    for (const row of v) add(row);
    return {
      node: el('div', {}, rows, el('button', { type: 'button', class: 'secondary', 'data-add': name, onclick: () => add(blank) }, '添加 Add')),
      read: () => editors.map((e) => e.read()),
    };
  },
});

/** An object of key → value (e.g. store id → multiplier), edited as rows. */
const recordKind = (keyKind, keyLabel, valueLabel, of, blank) => {
  const rows = listKind(objectKind([['key', keyLabel, keyKind], ['value', valueLabel, of]]), { key: '', value: blank });
  return {
    show: (v) => rows.show(Object.entries(v).map(([key, value]) => ({ key, value }))),
    edit(v, label, name) {
      const e = rows.edit(Object.entries(v).map(([key, value]) => ({ key, value })), label, name);
      return {
        node: e.node,
        read() {
          const out = {};
          for (const { key, value } of e.read()) {
            if (key in out) fail(label, `"${key}" 重复 appears twice`);
            out[key] = value;
          }
          return out;
        },
      };
    },
  };
};

/** One of several shapes, told apart by `kind`. */
const unionKind = (variants) => ({
  show: (v) => { const [text, fields] = variants[v.kind]; return fields.length ? `${text}: ${objectKind(fields).show(v)}` : text; },
  edit(v, label, name) {
    const select = el('select', { name: `${name}.kind` }, Object.entries(variants).map(([kind, [text]]) => el('option', { value: kind, selected: kind === v.kind }, text)));
    const editors = Object.fromEntries(Object.entries(variants).map(([kind, [, fields, blank]]) => {
      const e = objectKind(fields).edit(kind === v.kind ? v : blank, label, `${name}.${kind}`);
      return [kind, { e, wrap: el('span', { hidden: kind !== v.kind }, e.node) }];
    }));
    select.addEventListener('change', () => { for (const [kind, { wrap }] of Object.entries(editors)) wrap.hidden = kind !== select.value; });
    return {
      node: el('span', { class: 'setting-fields' }, select, Object.values(editors).map(({ wrap }) => wrap)),
      read: () => ({ kind: select.value, ...editors[select.value].e.read() }),
    };
  },
});

/** Any value as JSON text, for a setting this page has no form for yet; HQ validates it. */
const jsonKind = () => ({
  show: (v) => JSON.stringify(v),
  edit(v, label, name) {
    const area = el('textarea', { name, 'aria-label': label, rows: 4, cols: 60 });
    area.value = JSON.stringify(v, null, 2);
    return {
      node: area,
      read() {
        try { return JSON.parse(area.value); } catch { return fail(label, '不是有效的 JSON is not valid JSON'); }
      },
    };
  },
});

/** Store id → name, filled from /org/nodes when the page renders (store multipliers are keyed by store). */
const storeNames = new Map();

const ROUNDING = [['DOWN', '舍去 round down'], ['HALF_UP', '四舍五入 half up'], ['HALF_EVEN', '银行家舍入 half even'], ['UP', '进位 round up']];

/** Every chain setting, in the order a finance clerk reads them: [key, title, description, kind, scope note]. */
export const SETTINGS = [
  ['refundLimitMinor', '退款限额 Refund limit',
    '退款总额超过此金额，需要收银员或主管有 refund.above_limit 权限。 A refund whose total is above this needs refund.above_limit (the cashier’s or a supervisor’s).',
    moneyKind()],
  ['cardPinRequiredAboveMinor', '刷卡密码门槛 Card PIN threshold',
    '储值支付超过此金额需输入卡密码（卡设有密码时）；不勾选则从不需要。 Stored-value payments above this need the card PIN (when the card has one); unticked: never.',
    nullableKind(moneyKind(), { none: '从不 never', on: '超过此金额需要密码 PIN above', blank: 100_000 })],
  ['spendingOrder', '储值扣款顺序 Spending order',
    '储值支付先扣本金还是先扣赠送金。 Which part of stored value a payment spends first.',
    enumKind([['principal_first', '先本金 principal first'], ['bonus_first', '先赠送 bonus first']])],
  ['topUpBonusTiers', '充值赠送 Top-up bonus tiers',
    '充值本金达到档位即赠送，取最高一档，不累加。 A top-up whose principal reaches a tier gets its bonus; the highest tier reached counts, tiers do not add up.',
    listKind(objectKind([['minPrincipalMinor', '充值满 Top-up from', moneyKind()], ['bonusMinor', '赠送 Bonus', moneyKind()]]), { minPrincipalMinor: 0, bonusMinor: 0 })],
  ['pointsEarn', '积分规则 Points earning',
    '每消费 1 元得多少积分，乘以门店、品类、日期和生日倍数；倍数 0 表示不积分。 Points per ¥1 of eligible spend, times store, category, day and birthday multipliers; a multiplier of 0 earns nothing.',
    objectKind([
      ['base', '基本 Base', objectKind([['pointsPerMajorUnit', '每元积分 Points per ¥1', decimalKind()], ['rounding', '取整 Rounding', enumKind(ROUNDING)]])],
      ['storeMultipliers', '门店倍数 Store multipliers', recordKind(textKind({ list: 'settings-stores', names: storeNames }), '门店 Store', '倍数 ×', decimalKind(), '2')],
      ['categoryMultipliers', '品类倍数 Category multipliers', recordKind(textKind(), '品类 Category', '倍数 ×', decimalKind(), '2')],
      ['excludedSkus', '不积分商品 Excluded SKUs', textsKind()],
      ['multiplierDays', '倍数日 Multiplier days', listKind(objectKind([
        ['weekday', '星期 Weekday (1=Mon … 7=Sun)', intKind({ min: 1, max: 7, optional: true })],
        ['date', '日期 Date', textKind({ optional: true, pattern: /^\d{4}-\d{2}-\d{2}$/, hint: 'YYYY-MM-DD' })],
        ['multiplier', '倍数 ×', decimalKind()],
      ]), { multiplier: '2' })],
      ['birthday', '生日倍数 Birthday', nullableKind(objectKind([
        ['multiplier', '倍数 ×', decimalKind()],
        ['scope', '范围 During', enumKind([['day', '当天 the day'], ['week', '当周 its week'], ['month', '当月 its month']])],
      ]), { none: '无 none', on: '启用 on', blank: { multiplier: '2', scope: 'day' } })],
    ], { lines: true }), '门店倍数按门店设置 Store multipliers are per store'],
  ['pointsTender', '积分抵现 Points as payment',
    '多少积分抵多少钱，以及一笔消费最多可用积分支付的比例（1 = 不限）。 How many points are worth how much, and the most of a sale points may pay (1 = no cap).',
    objectKind([
      ['pointsPerUnit', '积分 Points', intKind({ min: 1 })],
      ['unitValueMinor', '抵 Worth', moneyKind()],
      ['maxShareOfSale', '最高比例 Max share of a sale', decimalKind({ rate: true })],
    ])],
  ['pointsExpiry', '积分有效期 Points expiry',
    '积分何时过期：滚动月数、每年固定日期，或永不过期。 When points expire: a number of months after earning, a fixed day of a later year, or never.',
    unionKind({
      yearly: ['每年固定日 yearly', [['month', '月 Month', intKind({ min: 1, max: 12 })], ['day', '日 Day', intKind({ min: 1, max: 31 })], ['yearsLater', '几年后 Years later', intKind({ min: 0, max: 10 })]], { month: 12, day: 31, yearsLater: 1 }],
      rolling: ['滚动 rolling', [['months', '月数 Months', intKind({ min: 1, max: 120 })]], { months: 12 }],
      never: ['永不过期 never', [], {}],
    })],
  ['rebate', '消费返利 Rebate',
    '按实付金额的比例返还赠送金，等待期内退款会收回。 A share of what a member paid comes back as bonus stored value after a waiting period (a refund within it takes it back).',
    nullableKind(objectKind([['rate', '比例 Rate', decimalKind({ rate: true })], ['waitingDays', '等待天数 Waiting days', intKind({ min: 0, max: 365 })]]),
      { none: '不返利 no rebates', on: '启用 on', blank: { rate: '0.01', waitingDays: 7 } })],
  ['offline', '离线限额 Offline limits',
    '总部连不上时，终端可离线扣储值的上限。 What a terminal may debit from stored value while HQ is unreachable.',
    objectKind([
      ['perTransactionMinor', '每笔 Per payment', moneyKind()],
      ['perTerminalUnsyncedTotalMinor', '每台未同步合计 Unsynced total per terminal', moneyKind()],
      ['perTerminalUnsyncedCount', '每台未同步笔数 Unsynced payments per terminal', intKind()],
    ])],
  ['levelThresholds', '会员等级门槛 Level thresholds',
    '滚动 12 个月消费达到门槛即升到该等级。 The rolling 12-month spend that earns each member level.',
    listKind(objectKind([['code', '等级 Level code', textKind()], ['minRollingSpendMinor', '消费满 Spend from', moneyKind()]]), { code: '', minRollingSpendMinor: 0 })],
  ['settlement', '加盟结算 Franchise settlement',
    '赠送金由谁承担，以及总部从加盟店储值核销中收取的服务费率。 Who funds bonus stored value, and the fee HQ keeps of franchise redemptions.',
    objectKind([
      ['bonusFundedBy', '赠送金承担 Bonus funded by', enumKind([['chain', '总部 the chain'], ['issuing_store', '发放门店 the issuing store']])],
      ['franchiseServiceFeeRate', '服务费率 Service fee rate', decimalKind({ rate: true })],
    ])],
  ['scaleLabelLayouts', '秤码格式 Scale label layouts',
    '电子秤打印的条码格式，按顺序尝试（第一个前缀匹配的格式读取）；终端的 devices.json 另有配置时以其为准；为空则不识别秤码。 How the chain’s scales print labels, tried in order (the first layout whose prefix a code starts with reads it); a till whose devices.json sets its own uses those; empty: no code is read as a scale label.',
    listKind(objectKind([
      ['value', '内容 Value', enumKind([['weight', '重量 weight (g)'], ['price', '金额 price (fen)']])],
      ['prefixes', '前缀 Prefixes', textsKind({ inline: true })],
      ['itemDigits', '商品码位数 Item digits', intKind({ min: 1, max: 8 })],
      ['valueDigits', '数值位数 Value digits', intKind({ min: 4, max: 5 })],
      ['valueCheckDigit', '数值校验位 Value check digit', yesNoKind()],
    ]), { value: 'price', prefixes: ['2'], itemDigits: 6, valueDigits: 5, valueCheckDigit: false }, { empty: '无 none: 不识别秤码 no scale labels' }),
    '终端 devices.json 可另设 A till’s devices.json may set its own'],
];

/** Why this operator cannot change settings, or null when HQ should take their change. */
function readOnlyReason(op, rootId) {
  const nodes = (op?.grants ?? []).filter((g) => g.permissions?.includes('setting.write')).map((g) => g.nodeId);
  if (nodes.length === 0) return '只读 Read only: 您的角色没有 setting.write 权限，修改会被拒绝。 Your role does not allow setting.write; a change will be refused.';
  // The root is known only when the operator may read it; otherwise HQ decides.
  if (rootId && !nodes.includes(rootId)) return '只读 Read only: 连锁设置只能在总部修改，您的 setting.write 权限不在总部。 Chain settings are changed at HQ only; your setting.write is held below HQ.';
  return null;
}

export async function render(root) {
  const [read, org] = await Promise.allSettled([api('GET', '/settings'), api('GET', '/org/nodes')]);
  if (read.status === 'rejected') throw read.reason;
  let { settings, lastChanged = {} } = read.value;
  // Without org.read the page still works: store ids are shown without names.
  const nodes = org.status === 'fulfilled' ? org.value.nodes : [];
  const stores = nodes.filter((n) => n.kind === 'store');
  storeNames.clear();
  for (const n of stores) storeNames.set(n.id, n.name);
  const reason = readOnlyReason(session.operator, nodes.find((n) => n.parentId === null)?.id);
  const known = new Set(SETTINGS.map(([key]) => key));
  // A key HQ knows and this page does not describe yet is still listed, edited as JSON.
  const all = [...SETTINGS.filter(([key]) => key in settings), ...Object.keys(settings).filter((key) => !known.has(key)).map((key) => [key, key, '（说明待补）Edited as JSON; HQ checks the value.', jsonKind()])];
  const rows = el('tbody');
  const box = section('连锁设置 Chain settings',
    el('p', { class: 'muted' }, '以下设置对全连锁所有区域和门店统一生效（积分规则中的门店倍数除外），只能在总部修改（需 setting.write 权限），每次修改记入审计日志并下发到各终端。 These settings apply to every region and store of the chain (except the store multipliers in points earning); they are changed at HQ only (setting.write), each change is audited and sent to the terminals. ',
      el('a', { href: '#/audit?action=setting.changed' }, '修改记录 History')),
    reason ? el('p', { class: 'error', id: 'settings-read-only' }, reason) : null,
    el('datalist', { id: 'settings-stores' }, stores.map((n) => el('option', { value: n.id }, n.name))),
    el('table', { id: 'settings-table' },
      el('thead', {}, el('tr', {}, el('th', {}, '设置 Setting'), el('th', {}, '当前值 Current value'), el('th', {}, '范围 Scope'), el('th', {}, ''))),
      rows));
  root.append(box);
  /** Re-shows each row from `settings` and `lastChanged`, after a save reads them again. */
  const refreshers = [];

  for (const [key, title, description, kind, scope] of all) {
    const valueCell = el('div', { class: 'setting-value', style: 'white-space: pre-line' }, kind.show(settings[key]));
    const changedLine = el('div', { class: 'muted', 'data-setting-changed': key });
    const showChanged = () => {
      const c = lastChanged[key];
      changedLine.textContent = c ? `上次修改 Last changed ${time(Date.parse(c.at))} · ${c.operatorName ?? c.operatorId}` : '未修改 Unchanged since the chain was set up';
    };
    showChanged();
    refreshers.push(() => { valueCell.textContent = kind.show(settings[key]); showChanged(); });
    const status = el('div', { 'data-setting-status': key, role: 'status' });
    const editRow = el('tr', { hidden: true, 'data-setting-editor': key });
    const open = el('button', { type: 'button', class: 'secondary', 'data-edit': key }, '修改 Edit');
    rows.append(
      el('tr', { 'data-setting': key },
        el('td', {}, el('strong', {}, title), el('div', { class: 'muted' }, key), el('div', { class: 'muted' }, description)),
        el('td', {}, valueCell, changedLine),
        el('td', {}, el('div', { style: 'white-space: nowrap' }, '全连锁', el('br'), 'Chain-wide'), scope ? el('div', { class: 'muted' }, scope) : null),
        el('td', {}, open)),
      editRow);
    open.addEventListener('click', () => {
      // A fresh editor each time, from the value last read, so a cancelled edit leaves nothing behind.
      const editor = kind.edit(settings[key], title, key);
      const form = el('form', { 'data-setting-form': key, novalidate: true },
        editor.node,
        el('div', { class: 'row' }, el('button', { type: 'submit' }, '保存 Save'), el('button', { type: 'button', class: 'secondary', onclick: () => { editRow.hidden = true; } }, '取消 Cancel')),
        status);
      status.replaceChildren();
      form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        let value;
        try {
          value = editor.read();
        } catch (e) {
          if (!(e instanceof FieldError)) throw e;
          status.replaceChildren(errorBox(new Error(`未保存 Not saved — ${e.message}`)));
          return;
        }
        try {
          await api('PUT', `/settings/${encodeURIComponent(key)}`, { value });
          // Show what HQ now holds, read back, not what was typed.
          ({ settings, lastChanged = {} } = await api('GET', '/settings'));
          for (const refresh of refreshers) refresh();
          status.replaceChildren(el('p', { class: 'ok' }, `已保存 Saved: ${kind.show(settings[key])}`));
        } catch (e) {
          status.replaceChildren(errorBox(new Error(`未保存 Not saved — ${e.message}`)));
        }
      });
      editRow.replaceChildren(el('td', { colspan: 4 }, form));
      editRow.hidden = false;
    });
  }
}
