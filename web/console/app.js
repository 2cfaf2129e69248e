// The agents' console: every figure comes from the API under the agent's
// session (docs/api.md); writes carry the CSRF token the sign-in returned.
// Text from the server is always set as text, never as HTML.

const words = {
  en: { signin: 'Sign in', signout: 'Sign out', user: 'User', password: 'Password',
        account: 'Account', open: 'Open', arrangements: 'Arrangements', note: 'Note',
        add: 'Add', promise: 'Promise to pay', amount: 'Amount', date: 'Date',
        record: 'Record', timeline: 'Timeline', balance: 'Balance', overdue: 'Overdue',
        dpd: 'Days past due', since: 'Oldest unpaid due date', none: 'None' },
  fr: { signin: 'Se connecter', signout: 'Se déconnecter', user: 'Utilisateur',
        password: 'Mot de passe', account: 'Compte', open: 'Ouvrir',
        arrangements: 'Arrangements', note: 'Note', add: 'Ajouter',
        promise: 'Promesse de paiement', amount: 'Montant', date: 'Date',
        record: 'Enregistrer', timeline: 'Historique', balance: 'Solde',
        overdue: 'Échu', dpd: 'Jours de retard', since: 'Plus ancienne échéance impayée',
        none: 'Aucun' },
  pt: { signin: 'Entrar', signout: 'Sair', user: 'Usuário', password: 'Senha',
        account: 'Conta', open: 'Abrir', arrangements: 'Acordos', note: 'Nota',
        add: 'Adicionar', promise: 'Promessa de pagamento', amount: 'Valor',
        date: 'Data', record: 'Registrar', timeline: 'Histórico', balance: 'Saldo',
        overdue: 'Vencido', dpd: 'Dias de atraso', since: 'Vencimento mais antigo em aberto',
        none: 'Nenhum' },
  uk: { signin: 'Увійти', signout: 'Вийти', user: 'Користувач', password: 'Пароль',
        account: 'Рахунок', open: 'Відкрити', arrangements: 'Домовленості',
        note: 'Нотатка', add: 'Додати', promise: 'Обіцянка сплатити', amount: 'Сума',
        date: 'Дата', record: 'Записати', timeline: 'Історія', balance: 'Баланс',
        overdue: 'Прострочено', dpd: 'Днів прострочення',
        since: 'Найдавніший неоплачений строк', none: 'Немає' },
};
const locale = navigator.language || 'en';
const t = words[locale.slice(0, 2)] || words.en;
document.documentElement.lang = locale;
for (const el of document.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t];

let csrf = sessionStorage.getItem('csrf');
let account = null;
const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.detail || res.statusText);
  return data;
}

function money(amount, currency) {
  // Amounts are decimal strings: formatted, never computed with.
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(amount);
  } catch { return `${amount} ${currency}`; }
}

function day(iso) {
  if (!iso) return t.none;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' })
    .format(new Date(`${iso}T00:00:00Z`));
}

function item(parent, tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  parent.append(el);
  return el;
}

function show(signedIn, who) {
  $('signin').hidden = signedIn;
  $('desk').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  $('who').textContent = signedIn ? `${who.user} (${who.role})` : '';
}

async function openAccount(id) {
  const [pos, arr] = await Promise.all([
    api('GET', `/api/v1/accounts/${encodeURIComponent(id)}/position`),
    api('GET', `/api/v1/accounts/${encodeURIComponent(id)}/arrangements`).catch(() => ({ arrangements: [] })),
  ]);
  account = pos;
  $('file').hidden = false;
  $('file-title').textContent = `${pos.account_id} — ${pos.customer_id}`;
  const dl = $('position');
  dl.replaceChildren();
  for (const [k, v] of [[t.balance, money(pos.balance, pos.currency)],
                        [t.overdue, money(pos.overdue, pos.currency)],
                        [t.since, day(pos.oldest_unpaid_due_on)],
                        [t.dpd, String(pos.days_past_due)]]) {
    item(dl, 'dt', k);
    item(dl, 'dd', v);
  }
  const ul = $('arrangements');
  ul.replaceChildren();
  for (const a of arr.arrangements) item(ul, 'li', `${a.id} ${a.kind} — ${a.state}`);
  if (!arr.arrangements.length) item(ul, 'li', t.none);
  const ol = $('timeline');
  ol.replaceChildren();
  let after = 0;
  const entries = [];
  for (;;) {
    const page = await api('GET', `/api/v1/accounts/${encodeURIComponent(id)}/file?after=${after}&limit=1000`);
    entries.push(...page.entries);
    if (page.next === null) break;
    after = page.next;
  }
  for (const e of entries.reverse()) {
    const li = item(ol, 'li', '');
    item(li, 'div', `${e.at} · ${e.kind} · ${e.author}${e.account_id ? ' · ' + e.account_id : ''}`, 'meta');
    item(li, 'div', e.body);
  }
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    const who = await api('POST', '/api/v1/session', { user: f.get('user'), password: f.get('password') });
    csrf = who.csrf;
    sessionStorage.setItem('csrf', csrf);
    $('signin-error').textContent = '';
    ev.target.reset();
    show(true, who);
  } catch (e) { $('signin-error').textContent = e.message; }
});

$('signout').addEventListener('click', async () => {
  await api('DELETE', '/api/v1/session').catch(() => {});
  sessionStorage.removeItem('csrf');
  csrf = null;
  show(false);
});

$('find-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await openAccount(new FormData(ev.target).get('account').trim());
    $('find-error').textContent = '';
  } catch (e) { $('find-error').textContent = e.message; }
});

$('note-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await api('POST', `/api/v1/accounts/${encodeURIComponent(account.account_id)}/notes`,
              { text: new FormData(ev.target).get('text') });
    ev.target.reset();
    $('action-error').textContent = '';
    await openAccount(account.account_id);
  } catch (e) { $('action-error').textContent = e.message; }
});

$('promise-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await api('POST', `/api/v1/accounts/${encodeURIComponent(account.account_id)}/promises`,
              { amount: f.get('amount'), date: f.get('date') });
    ev.target.reset();
    $('action-error').textContent = '';
    await openAccount(account.account_id);
  } catch (e) { $('action-error').textContent = e.message; }
});

// A session that is still open (the cookie) signs in by itself.
api('GET', '/api/v1/session').then((who) => show(true, who)).catch(() => show(false));
