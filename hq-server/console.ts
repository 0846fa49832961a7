/**
 * The first HQ console: one page, plain HTML and JavaScript over the REST API (no build step).
 * Sign in, find a member, see their cards and balances, list terminals and issue enrollment codes.
 * All text from the server goes in through textContent, never innerHTML.
 */
export const CONSOLE_HTML = /* html */ `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OneCard HQ 总部控制台</title>
<style>
  :root { font-family: system-ui, "PingFang SC", "Microsoft YaHei", sans-serif; color: #1d2733; background: #f4f6f8; }
  body { margin: 0; }
  header { background: #0b5c4a; color: #fff; padding: 10px 20px; display: flex; align-items: center; gap: 16px; }
  header h1 { font-size: 18px; margin: 0; flex: 1; }
  header button { background: transparent; color: #fff; border: 1px solid #fff8; }
  main { max-width: 1100px; margin: 20px auto; padding: 0 16px; }
  section { background: #fff; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; box-shadow: 0 1px 3px #0002; }
  h2 { font-size: 16px; margin: 0 0 12px; }
  input, button { font: inherit; padding: 6px 10px; border-radius: 4px; border: 1px solid #b8c2cc; }
  button { background: #0b5c4a; color: #fff; border-color: #0b5c4a; cursor: pointer; }
  button.link { background: none; color: #0b5c4a; border: none; padding: 0; text-decoration: underline; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e3e8ed; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .error { color: #b42318; margin: 8px 0; }
  .muted { color: #68737d; }
  .code { font-family: ui-monospace, monospace; font-size: 18px; background: #fef7e0; padding: 4px 8px; border-radius: 4px; }
  .tag { display: inline-block; padding: 1px 6px; border-radius: 10px; font-size: 12px; background: #e3e8ed; }
  .tag.bad { background: #fde2e1; color: #b42318; }
  .tag.good { background: #dcf5e7; color: #0b5c4a; }
  [hidden] { display: none !important; }
</style>
</head>
<body>
<header>
  <h1>OneCard HQ 总部控制台</h1>
  <a href="/console/#/dashboard" style="color:#fff">完整控制台 Full console →</a>
  <span id="who"></span>
  <button id="sign-out" hidden>退出 Sign out</button>
</header>
<main>
  <section id="sign-in">
    <h2>登录 Sign in</h2>
    <form id="sign-in-form">
      <input name="login" placeholder="账号 Login" autocomplete="username" required>
      <input name="password" type="password" placeholder="密码 Password" autocomplete="current-password" required>
      <button type="submit">登录 Sign in</button>
    </form>
    <div class="error" id="sign-in-error"></div>
  </section>

  <div id="app" hidden>
    <section>
      <h2>会员查询 Members</h2>
      <form id="search-form">
        <input name="query" placeholder="手机号 / 姓名 / 卡号 Phone, name or card no." size="36" required>
        <button type="submit">查询 Search</button>
      </form>
      <div class="error" id="search-error"></div>
      <table id="members" hidden>
        <thead><tr><th>姓名 Name</th><th>手机 Phone</th><th>等级 Level</th><th>卡号 Cards</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
    </section>

    <section id="member" hidden>
      <h2 id="member-title"></h2>
      <p class="muted" id="member-meta"></p>
      <table id="cards">
        <thead><tr><th>卡号 Card</th><th>状态 Status</th><th>有效期 Expires</th><th class="num">本金 Principal</th><th class="num">赠送 Bonus</th><th class="num">冻结 Held</th></tr></thead>
        <tbody></tbody>
      </table>
      <p>积分 Points: <strong id="member-points"></strong></p>
      <h2>最近交易 Latest transactions</h2>
      <table id="transactions">
        <thead><tr><th>时间 Time</th><th>类型 Code</th><th>账户 Account</th><th class="num">金额 Amount</th><th>终端 Terminal</th></tr></thead>
        <tbody></tbody>
      </table>
    </section>

    <section>
      <h2>收银终端 Terminals</h2>
      <div class="error" id="terminals-error"></div>
      <table id="terminals">
        <thead><tr><th>终端 Terminal</th><th>门店 Store</th><th>状态 State</th><th>最后联系 Last contact</th><th class="num">已确认 Acked seq</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
      <p id="enrollment" hidden>注册码 Enrollment code for <strong id="enrollment-terminal"></strong>: <span class="code" id="enrollment-code"></span> <span class="muted" id="enrollment-expires"></span></p>
    </section>
  </div>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem('onecard.token');
  let operator = JSON.parse(sessionStorage.getItem('onecard.operator') || 'null');

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function row(cells) {
    const tr = document.createElement('tr');
    for (const c of cells) tr.append(c instanceof Node ? wrap(c) : el('td', c));
    return tr;
  }
  function wrap(node) { const td = document.createElement('td'); td.append(node); return td; }
  function num(text) { const td = el('td', text, 'num'); return td; }
  /** Integer minor units to major units, without floating point. */
  function money(minor, currency) {
    const digits = currency === 'JPY' || currency === 'KRW' ? 0 : 2;
    const sign = minor < 0 ? '-' : '';
    const abs = String(Math.abs(minor)).padStart(digits + 1, '0');
    const major = digits ? abs.slice(0, -digits) + '.' + abs.slice(-digits) : abs;
    return sign + (currency === 'CNY' ? '¥' : currency + ' ') + major;
  }

  async function api(method, path, body) {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch('/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    if (res.status === 204) return null;
    const data = await res.json().catch(() => ({ error: { code: 'INTERNAL', message: res.statusText } }));
    if (!res.ok) {
      if (res.status === 401 && path !== '/sessions') signedOut();
      const err = new Error(data.error ? data.error.code + ': ' + data.error.message : res.statusText);
      throw err;
    }
    return data;
  }

  function signedOut() {
    token = null; operator = null;
    sessionStorage.removeItem('onecard.token'); sessionStorage.removeItem('onecard.operator');
    render();
  }

  function render() {
    const inside = Boolean(token);
    $('sign-in').hidden = inside;
    $('app').hidden = !inside;
    $('sign-out').hidden = !inside;
    $('who').textContent = inside && operator ? operator.name + ' (' + operator.login + ')' : '';
    if (inside) loadTerminals();
  }

  $('sign-in-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    $('sign-in-error').textContent = '';
    try {
      const s = await api('POST', '/sessions', { login: form.get('login'), password: form.get('password') });
      token = s.token; operator = s.operator;
      sessionStorage.setItem('onecard.token', token);
      sessionStorage.setItem('onecard.operator', JSON.stringify(operator));
      render();
    } catch (e) { $('sign-in-error').textContent = e.message; }
  });

  $('sign-out').addEventListener('click', async () => {
    try { await api('DELETE', '/sessions/current'); } catch (e) { /* signed out anyway */ }
    signedOut();
  });

  $('search-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = new FormData(ev.target).get('query');
    $('search-error').textContent = '';
    try {
      const { members } = await api('GET', '/members?query=' + encodeURIComponent(q));
      const body = $('members').querySelector('tbody');
      body.replaceChildren();
      for (const m of members) {
        const open = el('button', '查看 View', 'link');
        open.addEventListener('click', () => showMember(m.id));
        body.append(row([m.name, m.phone, m.levelCode, m.cardNos.join(', '), open]));
      }
      if (members.length === 0) body.append(row(['没有找到 No member found', '', '', '', '']));
      $('members').hidden = false;
    } catch (e) { $('search-error').textContent = e.message; }
  });

  async function showMember(id) {
    try {
      const m = await api('GET', '/members/' + encodeURIComponent(id));
      $('member-title').textContent = m.name + ' · ' + m.level.name;
      $('member-meta').textContent = m.phone + (m.birthday ? ' · 生日 ' + m.birthday : '') + ' · ' + m.homeStore.name + ' · ' + m.id;
      const cards = $('cards').querySelector('tbody');
      cards.replaceChildren();
      for (const c of m.cards) {
        const status = el('span', c.status, 'tag ' + (c.status === 'active' ? 'good' : 'bad'));
        const tr = row([c.cardNo, status, c.expiresOn || '—']);
        tr.append(num(money(c.principal.posted, c.currency)), num(money(c.bonus.posted, c.currency)), num(money(c.principal.held + c.bonus.held, c.currency)));
        cards.append(tr);
      }
      $('member-points').textContent = String(m.points.posted);
      const tx = $('transactions').querySelector('tbody');
      tx.replaceChildren();
      for (const t of m.transactions) {
        const tr = row([new Date(t.at).toLocaleString(), t.code + (t.kind === 'single' ? '' : ' (' + t.kind + ')'), t.accountId]);
        tr.append(num(t.ledger === 'POINTS' ? String(t.amount) + ' pts' : money(t.amount, t.ledger)), el('td', t.terminalId || 'HQ'));
        tx.append(tr);
      }
      $('member').hidden = false;
      $('member').scrollIntoView({ behavior: 'smooth' });
    } catch (e) { $('search-error').textContent = e.message; }
  }

  async function loadTerminals() {
    $('terminals-error').textContent = '';
    try {
      const { terminals } = await api('GET', '/terminals');
      const body = $('terminals').querySelector('tbody');
      body.replaceChildren();
      for (const t of terminals) {
        const state = t.revoked ? el('span', '已停用 revoked', 'tag bad') : t.enrolled ? el('span', '已注册 enrolled', 'tag good') : el('span', '未注册 not enrolled', 'tag');
        const issue = el('button', '新注册码 New enrollment code');
        issue.addEventListener('click', () => newCode(t.id));
        const tr = row([t.name + ' (' + t.id + ')', t.storeName, state, t.lastContactAt ? new Date(t.lastContactAt).toLocaleString() : '—']);
        tr.append(num(String(t.ackedSeq)), wrap(issue));
        body.append(tr);
      }
    } catch (e) { $('terminals-error').textContent = e.message; }
  }

  async function newCode(terminalId) {
    $('terminals-error').textContent = '';
    try {
      const r = await api('POST', '/terminals/' + encodeURIComponent(terminalId) + '/enrollment-codes', {});
      $('enrollment-terminal').textContent = terminalId;
      $('enrollment-code').textContent = r.code;
      $('enrollment-expires').textContent = '有效至 valid until ' + new Date(r.expiresAt).toLocaleString();
      $('enrollment').hidden = false;
    } catch (e) { $('terminals-error').textContent = e.message; }
  }

  render();
})();
</script>
</body>
</html>
`;
