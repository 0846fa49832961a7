// Who is at the till: the sign-in screen the app starts with (login + PIN, or an operator card on
// the reader), the lock that ends the session, and the supervisor's card or PIN for what the
// signed-in cashier may not do alone (void, cancel, refund above the limit, no-sale). The terminal
// decides who may do what (terminal/till-guard.ts); this page only asks and retries.

/**
 * Mounts the sign-in screen (#signin-screen in index.html). `ui` gives the page's parts:
 * { api, t, esc, say, errorText, refreshSession }. Answers the screen's controls.
 */
export function mountStaff(ui) {
  const $ = (id) => document.getElementById(id);
  const screen = $('signin-screen');
  const form = $('signin-form');

  async function loadOperators() {
    const r = await ui.api('GET', '/api/session/operators').catch(() => ({ operators: [] }));
    $('signin-logins').innerHTML = r.operators.filter((o) => !o.locked).map((o) => `<option value="${ui.esc(o.login)}">${ui.esc(o.name)}</option>`).join('');
  }

  function show() {
    if (!screen.hidden) return;
    screen.hidden = false;
    $('signin-message').textContent = '';
    $('signin-pin').value = '';
    void loadOperators();
    $('signin-login').focus();
  }

  function hide() {
    screen.hidden = true;
  }

  async function signIn(credential) {
    try {
      const r = await ui.api('POST', '/api/session', credential);
      $('signin-pin').value = '';
      await ui.refreshSession();
      ui.say(`${ui.t('signedIn')}: ${r.session.operator.name}`, 'ok');
    } catch (e) {
      $('signin-message').textContent = ui.errorText(e.code ?? 'INTERNAL', e.message);
      $('signin-pin').value = '';
      $('signin-pin').focus();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const login = $('signin-login').value.trim();
    const pin = $('signin-pin').value.trim();
    if (!login) return $('signin-login').focus();
    if (!pin) return $('signin-pin').focus();
    void signIn({ login, pin });
  });

  return {
    /** Shows the sign-in screen when nobody is signed in, hides it otherwise. */
    follow(session) {
      if (session) hide();
      else show();
    },
    /** The screen is up: the till does nothing else. */
    locked: () => !screen.hidden,
    /** An operator card on the reader while the screen is up signs in with it. */
    cardTapped(cardNo) {
      if (screen.hidden) return false;
      void signIn({ cardNo });
      return true;
    },
    /** Ends the session (the lock): the screen comes up for the next operator. */
    async signOut() {
      await ui.api('DELETE', '/api/session').catch(() => {});
      await ui.refreshSession();
    },
  };
}

/** An answer refused for want of a permission a supervisor could lend. */
export const needsSupervisor = (e) => e?.code === 'FORBIDDEN' && e.details?.needsSupervisor === true;

/**
 * Runs `run(undefined)`; when the terminal answers that a supervisor is needed, `ask` prompts for
 * one (card or login + PIN) and retries `run(supervisor)`. Other errors are the caller's.
 */
export async function supervised(run, ask) {
  try {
    return await run(undefined);
  } catch (e) {
    if (!needsSupervisor(e)) throw e;
    ask(e, run);
    return undefined;
  }
}

/** The supervisor's login (or card number) and PIN fields, inside a dialog that already has a purpose. */
export function supervisorFieldsHtml(ui, why) {
  return `<div id="supervisor-inline"><p class="error">${ui.esc(why)}</p>
    <label for="sup-login">${ui.esc(ui.t('supervisorLogin'))}</label><input id="sup-login" autocomplete="off">
    <label for="sup-pin">${ui.esc(ui.t('operatorPin'))}</label><input id="sup-pin" type="password" inputmode="numeric" autocomplete="off">
    <p class="muted">${ui.esc(ui.t('supervisorCardHint'))}</p></div>`;
}

/** What the supervisor fields hold: login + PIN, or (no PIN) a card number typed in. */
export function readSupervisor() {
  const login = document.getElementById('sup-login')?.value.trim() ?? '';
  const pin = document.getElementById('sup-pin')?.value.trim() ?? '';
  if (!login) return undefined;
  return pin ? { login, pin } : { cardNo: login };
}
