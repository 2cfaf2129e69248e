// The customers' portal (docs/portal.md): sign-in by a one-time code, then
// the customer's own accounts through /api/v1/portal under the session;
// writes carry the CSRF token the sign-in returned. Text from the server is
// always set as text, never as HTML. Labels are in the customer's language
// once signed in (the locale of the customer's record), before that in the
// browser's; amounts and dates are formatted with Intl in that locale.

import { client, signOutButton } from '../common/api.js';
import { $, describe, item, showLabels } from '../common/dom.js';
import { formats, languageOf } from '../common/format.js';

const words = {
  en: {
    title: 'Customer area', signin: 'Sign in', signout: 'Sign out', user: 'User name',
    channel: 'Send the code by', sms: 'SMS', email: 'E-mail', sendCode: 'Send me a code',
    codeSent: 'If this name may sign in this way, a code is on its way: it is valid for 10 minutes.',
    code: 'Code', accounts: 'Your accounts', account: 'Account', balance: 'Balance',
    overdue: 'Overdue', dpd: 'Days late', since: 'Oldest unpaid due date', stage: 'Where it stands',
    open: 'Details', arrangements: 'In progress', invoices: 'Invoices', payments: 'Payments',
    credits: 'Credit notes', invoice: 'Invoice', reference: 'Reference', issued: 'Issued',
    due: 'Due', received: 'Received', amount: 'Amount', date: 'Date',
    plan: 'Ask for a payment plan', instalments: 'Instalments', down: 'Down payment',
    every: 'Days between instalments', ask: 'Ask',
    planLimit: 'On your own you may have up to {n} instalments, with a down payment of at least {p} %. Beyond that, an agent can help.',
    noPlan: 'Payment plans are arranged with an agent.',
    promise: 'Promise to pay by a date', paid: 'I have already paid',
    paidDetails: 'When, how, reference', contest: 'I contest an amount', why: 'Why',
    send: 'Send', back: 'Back to my accounts', none: 'None', done: 'Done: {what}.',
    refused: 'Not accepted: {why}', askAgent: 'You may ask an agent.',
    kind: { plan: 'Payment plan', promise: 'Promise to pay', dispute: 'Dispute',
            postponement: 'Postponed due date', handoff: 'With an outside agency' },
    state: { proposed: 'proposed', current: 'in progress', open: 'open', review: 'under review',
             active: 'active' },
  },
  fr: {
    title: 'Espace client', signin: 'Se connecter', signout: 'Se déconnecter',
    user: "Nom d'utilisateur", channel: 'Recevoir le code par', sms: 'SMS', email: 'E-mail',
    sendCode: 'Recevoir un code',
    codeSent: 'Si ce nom peut se connecter ainsi, un code est en route : il est valable 10 minutes.',
    code: 'Code', accounts: 'Vos comptes', account: 'Compte', balance: 'Solde',
    overdue: 'En retard', dpd: 'Jours de retard', since: 'Plus ancienne échéance impayée',
    stage: 'Situation', open: 'Détails', arrangements: 'En cours', invoices: 'Factures',
    payments: 'Paiements', credits: 'Avoirs', invoice: 'Facture', reference: 'Référence',
    issued: 'Émise le', due: 'Échéance', received: 'Reçu le', amount: 'Montant', date: 'Date',
    plan: 'Demander un échéancier', instalments: "Nombre d'échéances",
    down: 'Premier versement', every: 'Jours entre deux échéances', ask: 'Demander',
    planLimit: "Seul, vous pouvez obtenir jusqu'à {n} échéances, avec un premier versement d'au moins {p} %. Au-delà, un conseiller peut vous aider.",
    noPlan: 'Les échéanciers se demandent à un conseiller.',
    promise: 'Promettre un paiement à une date', paid: "J'ai déjà payé",
    paidDetails: 'Quand, comment, référence', contest: 'Je conteste un montant',
    why: 'Pourquoi', send: 'Envoyer', back: 'Retour à mes comptes', none: 'Aucun',
    done: 'C’est noté : {what}.', refused: 'Refusé : {why}',
    askAgent: 'Vous pouvez demander à un conseiller.',
    kind: { plan: 'Échéancier', promise: 'Promesse de paiement', dispute: 'Contestation',
            postponement: 'Échéance reportée', handoff: 'Confié à un organisme extérieur' },
    state: { proposed: 'proposé', current: 'en cours', open: 'ouverte', review: "en cours d'examen",
             active: 'actif' },
  },
  pt: {
    title: 'Área do cliente', signin: 'Entrar', signout: 'Sair', user: 'Nome de usuário',
    channel: 'Receber o código por', sms: 'SMS', email: 'E-mail', sendCode: 'Receber um código',
    codeSent: 'Se este nome pode entrar assim, um código está a caminho: vale por 10 minutos.',
    code: 'Código', accounts: 'Suas contas', account: 'Conta', balance: 'Saldo',
    overdue: 'Vencido', dpd: 'Dias de atraso', since: 'Vencimento mais antigo em aberto',
    stage: 'Situação', open: 'Detalhes', arrangements: 'Em andamento', invoices: 'Faturas',
    payments: 'Pagamentos', credits: 'Notas de crédito', invoice: 'Fatura',
    reference: 'Referência', issued: 'Emitida em', due: 'Vencimento', received: 'Recebido em',
    amount: 'Valor', date: 'Data', plan: 'Pedir um parcelamento', instalments: 'Parcelas',
    down: 'Entrada', every: 'Dias entre parcelas', ask: 'Pedir',
    planLimit: 'Sozinho, você pode ter até {n} parcelas, com entrada de pelo menos {p} %. Além disso, um atendente pode ajudar.',
    noPlan: 'Parcelamentos são combinados com um atendente.',
    promise: 'Prometer um pagamento', paid: 'Já paguei', paidDetails: 'Quando, como, referência',
    contest: 'Contesto um valor', why: 'Por quê', send: 'Enviar', back: 'Voltar às minhas contas',
    none: 'Nenhum', done: 'Feito: {what}.', refused: 'Não aceito: {why}',
    askAgent: 'Você pode pedir a um atendente.',
    kind: { plan: 'Parcelamento', promise: 'Promessa de pagamento', dispute: 'Contestação',
            postponement: 'Vencimento adiado', handoff: 'Com uma empresa externa' },
    state: { proposed: 'proposto', current: 'em andamento', open: 'aberta', review: 'em análise',
             active: 'ativo' },
  },
  uk: {
    title: 'Особистий кабінет', signin: 'Увійти', signout: 'Вийти', user: "Ім'я користувача",
    channel: 'Надіслати код через', sms: 'SMS', email: 'ел. пошту', sendCode: 'Надіслати код',
    codeSent: "Якщо це ім'я може так увійти, код уже в дорозі: він дійсний 10 хвилин.",
    code: 'Код', accounts: 'Ваші рахунки', account: 'Рахунок', balance: 'Баланс',
    overdue: 'Прострочено', dpd: 'Днів прострочення', since: 'Найдавніший неоплачений строк',
    stage: 'Стан', open: 'Докладніше', arrangements: 'Поточні домовленості',
    invoices: 'Рахунки-фактури', payments: 'Платежі', credits: 'Кредитові ноти',
    invoice: 'Рахунок-фактура', reference: 'Номер', issued: 'Виставлено', due: 'Сплатити до',
    received: 'Отримано', amount: 'Сума', date: 'Дата', plan: 'Попросити розстрочку',
    instalments: 'Кількість платежів', down: 'Перший внесок', every: 'Днів між платежами',
    ask: 'Попросити',
    planLimit: 'Самостійно можна отримати до {n} платежів із першим внеском не менше {p} %. Понад це допоможе оператор.',
    noPlan: 'Розстрочку погоджує оператор.',
    promise: 'Пообіцяти оплату до дати', paid: 'Я вже сплатив', paidDetails: 'Коли, як, номер платежу',
    contest: 'Я оскаржую суму', why: 'Чому', send: 'Надіслати', back: 'До моїх рахунків',
    none: 'Немає', done: 'Готово: {what}.', refused: 'Не прийнято: {why}',
    askAgent: 'Ви можете звернутися до оператора.',
    kind: { plan: 'Розстрочка', promise: 'Обіцянка оплати', dispute: 'Спір',
            postponement: 'Перенесений строк', handoff: 'Передано зовнішній організації' },
    state: { proposed: 'запропоновано', current: 'діє', open: 'відкрито', review: 'розглядається',
             active: 'діє' },
  },
};

let fmt = formats(navigator.language || 'en');
let t = words.en;
const session = client('portal-csrf');
const { api } = session;
let home = null;        // GET /api/v1/portal/accounts
let current = null;     // the account shown

// Labels in the language of `tag` (a BCP 47 locale), English when not one of ours.
function speak(tag) {
  fmt = formats(tag);
  t = words[languageOf(tag)];
  document.documentElement.lang = tag;
  showLabels(t);
  document.title = `relance — ${t.title}`;
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));
}

const money = (amount, currency) => fmt.money(amount, currency);
const day = (iso) => (iso ? fmt.day(iso) : t.none);

function arrangementText(a) {
  const kind = t.kind[a.kind] || a.kind;
  const state = t.state[a.state] || a.state;
  return `${kind} ${a.id} — ${state}`;
}

function show(view) {
  $('signin').hidden = view !== 'signin';
  $('home').hidden = view !== 'home';
  $('account').hidden = view !== 'account';
  $('signout').hidden = view === 'signin';
}

async function loadHome() {
  home = await api('GET', '/api/v1/portal/accounts');
  speak(home.locale);
  $('who').textContent = home.name;
  const ul = $('accounts');
  ul.replaceChildren();
  for (const a of home.accounts) {
    const li = item(ul, 'li', '');
    li.dataset.account = a.account_id;
    item(li, 'h3', `${t.account} ${a.account_id}`);
    item(li, 'p', money(a.balance, a.currency), 'balance');
    item(li, 'span', a.stage.text, 'stage');
    if (Number(a.days_past_due) > 0) item(li, 'p', `${t.overdue}: ${money(a.overdue, a.currency)} · ${t.dpd}: ${a.days_past_due}`);
    for (const x of a.arrangements) item(li, 'p', arrangementText(x), 'note');
    const b = item(li, 'button', t.open);
    b.type = 'button';
    b.addEventListener('click', () => openAccount(a.account_id).catch((e) => { $('action-error').textContent = e.message; }));
  }
  if (!home.accounts.length) item(ul, 'li', t.none);
  show('home');
}

function rows(table, list, cells) {
  const body = table.tBodies[0];
  body.replaceChildren();
  for (const x of list) {
    const tr = item(body, 'tr', '');
    cells(x).forEach(([text, cls]) => item(tr, 'td', text, cls));
  }
  if (!list.length) item(item(body, 'tr', ''), 'td', t.none).colSpan = 4;
}

async function openAccount(id) {
  const a = (home.accounts || []).find((x) => x.account_id === id);
  const ledger = await api('GET', `/api/v1/portal/accounts/${encodeURIComponent(id)}/ledger`);
  current = a;
  $('account-title').textContent = `${t.account} ${id}`;
  describe($('position'), [
    [t.balance, money(a.balance, a.currency)],
    [t.overdue, money(a.overdue, a.currency)],
    [t.since, day(a.oldest_unpaid_due_on)],
    [t.dpd, String(a.days_past_due)],
    [t.stage, a.stage.text],
  ]);
  const ul = $('arrangements');
  ul.replaceChildren();
  for (const x of a.arrangements) item(ul, 'li', arrangementText(x));
  if (!a.arrangements.length) item(ul, 'li', t.none);
  const cur = ledger.currency;
  rows($('invoices'), ledger.invoices, (v) => [[v.id], [day(v.issued_on)], [day(v.due_on)], [money(v.amount, cur), 'num']]);
  rows($('payments'), ledger.payments, (v) => [[v.id], [day(v.received_at)], [money(v.amount, cur), 'num']]);
  rows($('credits'), ledger.credit_notes, (v) => [[v.id], [day(v.issued_on)], [money(v.amount, cur), 'num']]);
  const sel = document.querySelector('#contest-form select[name=invoice]');
  sel.replaceChildren();
  for (const v of ledger.invoices) {
    const o = item(sel, 'option', `${v.id} — ${money(v.amount, cur)}`);
    o.value = v.id;
  }
  const limit = $('plan-limit');
  const plans = home.plans;
  const inst = document.querySelector('#plan-form input[name=instalments]');
  if (plans && plans.max_instalments > 0) {
    limit.textContent = fill(t.planLimit, { n: plans.max_instalments, p: plans.min_down_payment_percent });
    inst.max = String(plans.max_instalments);
  } else {
    limit.textContent = t.noPlan;
  }
  const promiseDate = document.querySelector('#promise-form input[name=date]');
  promiseDate.min = new Date().toISOString().slice(0, 10);
  $('action-ok').textContent = '';
  $('action-error').textContent = '';
  show('account');
  $('account-title').focus();
}

// Sends one of the account's forms; on success reloads the account.
async function act(ev, path, body, what) {
  ev.preventDefault();
  $('action-ok').textContent = '';
  $('action-error').textContent = '';
  const id = current.account_id;
  try {
    const made = await api('POST', `/api/v1/portal/accounts/${encodeURIComponent(id)}/${path}`, body);
    ev.target.reset();
    await loadHome();
    await openAccount(id);
    $('action-ok').textContent = fill(t.done, { what: `${what} ${made.id || ''}`.trim() });
    $('action-ok').scrollIntoView({ block: 'center' });
  } catch (e) {
    $('action-error').textContent = fill(t.refused, { why: e.message }) +
      (/agent/.test(e.message) ? ` ${t.askAgent}` : '');
    $('action-error').scrollIntoView({ block: 'center' });
  }
}

function field(form, name) {
  const v = new FormData(form).get(name);
  return v === null ? '' : String(v).trim();
}

$('code-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('signin-error').textContent = '';
  try {
    await api('POST', '/api/v1/portal/code', { user: field(ev.target, 'user'), channel: field(ev.target, 'channel') });
    $('code-sent').textContent = t.codeSent;
    $('signin-form').hidden = false;
    document.querySelector('#signin-form input[name=code]').focus();
  } catch (e) { $('signin-error').textContent = e.message; }
});

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await session.signIn('/api/v1/portal/session',
                         { user: field($('code-form'), 'user'), code: field(ev.target, 'code') });
    $('signin-error').textContent = '';
    ev.target.reset();
    await loadHome();
  } catch (e) { $('signin-error').textContent = e.message; }
});

signOutButton(session, $('signout'), () => {
  home = null;
  $('who').textContent = '';
  $('signin-form').hidden = true;
  $('code-sent').textContent = '';
  speak(navigator.language || 'en');
  show('signin');
});

$('back').addEventListener('click', () => loadHome().catch((e) => { $('action-error').textContent = e.message; }));

$('plan-form').addEventListener('submit', (ev) => {
  const body = { instalments: field(ev.target, 'instalments'), every_days: field(ev.target, 'every_days') };
  const down = field(ev.target, 'down');
  if (down) body.down = down;
  act(ev, 'plans', body, t.kind.plan);
});

$('promise-form').addEventListener('submit', (ev) => {
  act(ev, 'promises', { amount: field(ev.target, 'amount'), date: field(ev.target, 'date') }, t.kind.promise);
});

$('paid-form').addEventListener('submit', (ev) => {
  act(ev, 'disputes', { about: 'payment_made', amount: field(ev.target, 'amount'), text: field(ev.target, 'text') },
      t.kind.dispute);
});

$('contest-form').addEventListener('submit', (ev) => {
  const body = { about: 'amount_wrong', invoice: field(ev.target, 'invoice'), text: field(ev.target, 'text') };
  const amount = field(ev.target, 'amount');
  if (amount) body.amount = amount;
  act(ev, 'disputes', body, t.kind.dispute);
});

speak(navigator.language || 'en');
// A session still open (its cookie) goes straight to the accounts.
if (session.held) loadHome().catch(() => show('signin'));
else show('signin');
