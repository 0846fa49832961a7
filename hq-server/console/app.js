// The HQ console: sign-in, then one page per hash route. Pages only call the REST API; what the
// operator may see is decided there (their scope), the console just shows what it gets.
import { api, session, whenSignedOut } from './api.js';
import { errorBox } from './dom.js';

const PAGES = {
  dashboard: () => import('./pages/dashboard.js'),
  members: () => import('./pages/members.js'),
  member: () => import('./pages/member.js'),
  org: () => import('./pages/org.js'),
  reconciliation: () => import('./pages/reconciliation.js'),
  settlement: () => import('./pages/settlement.js'),
  reports: () => import('./pages/reports.js'),
  promotions: () => import('./pages/promotions.js'),
  operators: () => import('./pages/operators.js'),
  audit: () => import('./pages/audit.js'),
  catalog: () => import('./pages/catalog.js'),
  settings: () => import('./pages/settings.js'),
};

const $ = (id) => document.getElementById(id);

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [page, ...rest] = path.split('/');
  return { page: PAGES[page] ? page : 'dashboard', args: rest.map(decodeURIComponent), params: new URLSearchParams(query) };
}

let renderSeq = 0;
async function route() {
  const signedIn = Boolean(session.token);
  $('sign-in').hidden = signedIn;
  $('nav').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  const op = session.operator;
  $('who').textContent = signedIn && op ? `${op.name} (${op.login})` : '';
  const view = $('view');
  if (!signedIn) { view.replaceChildren(); return; }
  const { page, args, params } = parseHash();
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page || (page === 'member' && a.dataset.page === 'members'));
  const mine = ++renderSeq;
  const container = document.createElement('div');
  container.dataset.page = page;
  try {
    const mod = await PAGES[page]();
    await mod.render(container, { args, params });
  } catch (e) {
    container.replaceChildren(errorBox(e));
  }
  if (mine === renderSeq) view.replaceChildren(container);
}

$('sign-in-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const form = new FormData(ev.target);
  $('sign-in-error').textContent = '';
  try {
    const s = await api('POST', '/sessions', { login: form.get('login'), password: form.get('password') });
    session.set(s.token, s.operator);
    if (!location.hash) location.hash = '#/dashboard';
    await route();
  } catch (e) {
    $('sign-in-error').textContent = e.message;
  }
});

$('sign-out').addEventListener('click', async () => {
  try { await api('DELETE', '/sessions/current'); } catch { /* signed out anyway */ }
  session.clear();
  await route();
});

whenSignedOut(() => void route());
window.addEventListener('hashchange', () => void route());
void route();
