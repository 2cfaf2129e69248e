// The API as the pages call it (docs/api.md): JSON in and out, the session
// cookie sent along (same origin), and the CSRF token the sign-in returned
// on every request but a GET. An answer that is not 2xx is a problem
// document: it is thrown as a Problem carrying its status and detail.

export class Problem extends Error {
  constructor(status, detail, body) {
    super(detail);
    this.name = 'Problem';
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

// A client whose CSRF token is kept in sessionStorage under `key` (each
// page its own, so that the portal's customers and the staff do not share
// one), read back when the page is opened again in the same tab.
export function client(key = 'csrf') {
  let csrf = sessionStorage.getItem(key);

  async function api(method, path, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
    const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                    body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Problem(res.status, data.detail || res.statusText, data);
    return data;
  }

  return {
    api,
    // Whether a token is held: a session may still be open.
    get held() { return Boolean(csrf); },
    // POSTs the credentials to `path` (a session route); keeps the token
    // of the session it opens and answers who signed in.
    async signIn(path, credentials) {
      const who = await api('POST', path, credentials);
      csrf = who.csrf;
      sessionStorage.setItem(key, csrf);
      return who;
    },
    // Closes the session (whatever the server answers) and drops the token.
    async signOut() {
      await api('DELETE', '/api/v1/session').catch(() => {});
      sessionStorage.removeItem(key);
      csrf = null;
    },
    // The session still open (its cookie), or a Problem (401) when none.
    current() { return api('GET', '/api/v1/session'); },
  };
}

// The staff's sign-in form (fields user and password) with its error line:
// on success the form is emptied and `signedIn(who)` is called.
export function passwordSignIn(session, form, error, signedIn) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    try {
      const who = await session.signIn('/api/v1/session', { user: f.get('user'), password: f.get('password') });
      error.textContent = '';
      ev.target.reset();
      signedIn(who);
    } catch (e) { error.textContent = e.message; }
  });
}

// The sign-out button: closes the session, then calls `signedOut()`.
export function signOutButton(session, button, signedOut) {
  button.addEventListener('click', async () => {
    await session.signOut();
    signedOut();
  });
}
