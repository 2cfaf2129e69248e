// The agents' console: every figure comes from the API under the agent's
// session (docs/api.md); writes carry the CSRF token the sign-in returned.
// Text from the server is always set as text, never as HTML.
//
// Two screens under the sign-in: the worklist (the queues, then a queue's
// open tasks by priority; taking a task opens its customer file) and the
// customer file (position, stage, holds, arrangements, pending actions, the
// whole timeline, and the forms an agent acts with). Keys: "/" goes to the
// account search, Alt+W to the worklist, Ctrl+Enter sends a note.

import { client, passwordSignIn, signOutButton } from '../common/api.js';
import { $, describe, item, showLabels } from '../common/dom.js';
import { formats, languageOf } from '../common/format.js';

const words = {
  en: { signin: 'Sign in', signout: 'Sign out', user: 'User', password: 'Password',
        account: 'Account', open: 'Open', arrangements: 'Arrangements', note: 'Note',
        add: 'Add', promise: 'Promise to pay', amount: 'Amount', date: 'Date',
        record: 'Record', timeline: 'Timeline', balance: 'Balance', overdue: 'Overdue',
        dpd: 'Days past due', since: 'Since', oldest: 'Oldest unpaid due date', none: 'None',
        keys: 'Keys: / search, Alt+W worklist, Ctrl+Enter sends a note',
        worklist: 'Worklist', show: 'Show', all: 'All open tasks', unassigned: 'Unassigned',
        mine: 'Mine', priority: 'Priority', customer: 'Customer', task: 'Task',
        heldby: 'Held by', more: 'More', take: 'Take', outcome: 'Outcome', o_done: 'Done',
        o_promise: 'Promise to pay', o_plan: 'Payment plan', o_dispute: 'Dispute',
        o_noanswer: 'No answer', o_wrong: 'Wrong number', o_callback: 'Call back',
        o_escalated: 'Escalated', o_notneeded: 'Not needed', closetask: 'Close the task',
        release: 'Release', pending: 'Pending actions', plan: 'Payment plan',
        instalments: 'Instalments', everydays: 'Every (days)', dom: 'Day of month',
        first: 'First due', down: 'Down payment', propose: 'Propose',
        dispute: 'Dispute', invoice: 'Invoice', reason: 'Reason', opendispute: 'Open',
        resolve: 'Resolve a dispute', upheld: 'Upheld', rejected: 'Rejected',
        resolvebtn: 'Resolve', flag: 'Flag a bad number', contact: 'Contact',
        phone: 'Phone', email: 'E-mail', flagbtn: 'Flag', recall: 'Recall the hand-off',
        recallbtn: 'Recall', stage: 'Stage', holds: 'Holds', nocase: 'no case',
        noqueues: 'No open tasks', opentasks: 'open', free: 'unassigned',
        held: 'held by you until', closed: 'Task closed', done: 'Done',
        nextcheck: 'Next check', due: 'due', opendisp: 'Open a dispute' },
  fr: { signin: 'Se connecter', signout: 'Se déconnecter', user: 'Utilisateur',
        password: 'Mot de passe', account: 'Compte', open: 'Ouvrir',
        arrangements: 'Arrangements', note: 'Note', add: 'Ajouter',
        promise: 'Promesse de paiement', amount: 'Montant', date: 'Date',
        record: 'Enregistrer', timeline: 'Historique', balance: 'Solde',
        overdue: 'Échu', dpd: 'Jours de retard', since: 'Depuis',
        oldest: 'Plus ancienne échéance impayée', none: 'Aucun',
        keys: 'Touches : / recherche, Alt+W liste de travail, Ctrl+Entrée envoie une note',
        worklist: 'Liste de travail', show: 'Afficher', all: 'Toutes les tâches ouvertes',
        unassigned: 'Non attribuées', mine: 'Les miennes', priority: 'Priorité',
        customer: 'Client', task: 'Tâche', heldby: 'Prise par', more: 'Plus',
        take: 'Prendre', outcome: 'Résultat', o_done: 'Fait',
        o_promise: 'Promesse de paiement', o_plan: 'Échéancier', o_dispute: 'Contestation',
        o_noanswer: 'Pas de réponse', o_wrong: 'Mauvais numéro', o_callback: 'À rappeler',
        o_escalated: 'Transmis', o_notneeded: 'Sans objet', closetask: 'Clore la tâche',
        release: 'Libérer', pending: 'Actions prévues', plan: 'Échéancier',
        instalments: 'Échéances', everydays: 'Tous les (jours)', dom: 'Jour du mois',
        first: 'Première échéance', down: 'Acompte', propose: 'Proposer',
        dispute: 'Contestation', invoice: 'Facture', reason: 'Motif', opendispute: 'Ouvrir',
        resolve: 'Trancher une contestation', upheld: 'Fondée', rejected: 'Rejetée',
        resolvebtn: 'Trancher', flag: 'Signaler un mauvais numéro', contact: 'Coordonnée',
        phone: 'Téléphone', email: 'Courriel', flagbtn: 'Signaler',
        recall: 'Rappeler le dossier transmis', recallbtn: 'Rappeler', stage: 'Étape',
        holds: 'Suspensions', nocase: 'aucun dossier', noqueues: 'Aucune tâche ouverte',
        opentasks: 'ouvertes', free: 'non attribuées', held: 'prise par vous jusqu’à',
        closed: 'Tâche close', done: 'Fait', nextcheck: 'Prochain examen', due: 'prévue',
        opendisp: 'Ouvrir une contestation' },
  pt: { signin: 'Entrar', signout: 'Sair', user: 'Usuário', password: 'Senha',
        account: 'Conta', open: 'Abrir', arrangements: 'Acordos', note: 'Nota',
        add: 'Adicionar', promise: 'Promessa de pagamento', amount: 'Valor',
        date: 'Data', record: 'Registrar', timeline: 'Histórico', balance: 'Saldo',
        overdue: 'Vencido', dpd: 'Dias de atraso', since: 'Desde',
        oldest: 'Vencimento mais antigo em aberto', none: 'Nenhum',
        keys: 'Teclas: / busca, Alt+W fila de trabalho, Ctrl+Enter envia a nota',
        worklist: 'Fila de trabalho', show: 'Mostrar', all: 'Todas as tarefas abertas',
        unassigned: 'Sem responsável', mine: 'Minhas', priority: 'Prioridade',
        customer: 'Cliente', task: 'Tarefa', heldby: 'Com', more: 'Mais', take: 'Pegar',
        outcome: 'Resultado', o_done: 'Concluída', o_promise: 'Promessa de pagamento',
        o_plan: 'Parcelamento', o_dispute: 'Contestação', o_noanswer: 'Não atendeu',
        o_wrong: 'Número errado', o_callback: 'Retornar ligação', o_escalated: 'Encaminhada',
        o_notneeded: 'Desnecessária', closetask: 'Encerrar a tarefa', release: 'Liberar',
        pending: 'Ações pendentes', plan: 'Parcelamento', instalments: 'Parcelas',
        everydays: 'A cada (dias)', dom: 'Dia do mês', first: 'Primeiro vencimento',
        down: 'Entrada', propose: 'Propor', dispute: 'Contestação', invoice: 'Fatura',
        reason: 'Motivo', opendispute: 'Abrir', resolve: 'Decidir contestação',
        upheld: 'Procedente', rejected: 'Improcedente', resolvebtn: 'Decidir',
        flag: 'Marcar número inválido', contact: 'Contato', phone: 'Telefone',
        email: 'E-mail', flagbtn: 'Marcar', recall: 'Recolher da agência',
        recallbtn: 'Recolher', stage: 'Etapa', holds: 'Suspensões', nocase: 'sem caso',
        noqueues: 'Nenhuma tarefa aberta', opentasks: 'abertas', free: 'sem responsável',
        held: 'com você até', closed: 'Tarefa encerrada', done: 'Feito',
        nextcheck: 'Próxima verificação', due: 'prevista', opendisp: 'Abrir contestação' },
  uk: { signin: 'Увійти', signout: 'Вийти', user: 'Користувач', password: 'Пароль',
        account: 'Рахунок', open: 'Відкрити', arrangements: 'Домовленості',
        note: 'Нотатка', add: 'Додати', promise: 'Обіцянка сплатити', amount: 'Сума',
        date: 'Дата', record: 'Записати', timeline: 'Історія', balance: 'Баланс',
        overdue: 'Прострочено', dpd: 'Днів прострочення', since: 'Від',
        oldest: 'Найдавніший неоплачений строк', none: 'Немає',
        keys: 'Клавіші: / пошук, Alt+W черга, Ctrl+Enter надсилає нотатку',
        worklist: 'Черга завдань', show: 'Показати', all: 'Усі відкриті завдання',
        unassigned: 'Без виконавця', mine: 'Мої', priority: 'Пріоритет',
        customer: 'Клієнт', task: 'Завдання', heldby: 'Виконує', more: 'Ще',
        take: 'Взяти', outcome: 'Результат', o_done: 'Виконано',
        o_promise: 'Обіцянка сплатити', o_plan: 'Розстрочка', o_dispute: 'Спір',
        o_noanswer: 'Немає відповіді', o_wrong: 'Хибний номер', o_callback: 'Передзвонити',
        o_escalated: 'Передано', o_notneeded: 'Не потрібно', closetask: 'Закрити завдання',
        release: 'Звільнити', pending: 'Заплановані дії', plan: 'Розстрочка',
        instalments: 'Платежі', everydays: 'Кожні (днів)', dom: 'День місяця',
        first: 'Перший платіж', down: 'Перший внесок', propose: 'Запропонувати',
        dispute: 'Спір', invoice: 'Рахунок-фактура', reason: 'Причина',
        opendispute: 'Відкрити', resolve: 'Вирішити спір', upheld: 'Задоволено',
        rejected: 'Відхилено', resolvebtn: 'Вирішити', flag: 'Позначити хибний номер',
        contact: 'Контакт', phone: 'Телефон', email: 'Ел. пошта', flagbtn: 'Позначити',
        recall: 'Відкликати з агентства', recallbtn: 'Відкликати', stage: 'Етап',
        holds: 'Призупинення', nocase: 'немає справи', noqueues: 'Немає відкритих завдань',
        opentasks: 'відкритих', free: 'без виконавця', held: 'у вас до',
        closed: 'Завдання закрито', done: 'Готово', nextcheck: 'Наступна перевірка',
        due: 'на', opendisp: 'Відкрити спір' },
};
const locale = navigator.language || 'en';
const t = words[languageOf(locale)];
document.documentElement.lang = locale;
showLabels(t);

const session = client('csrf');
const { api } = session;
let me = null;          // who is signed in
let account = null;     // the position of the account on screen
let task = null;        // the task the file was opened from, while held
let queue = null;       // the queue on screen
let tasksNext = null;   // the cursor of the queue's next page
const enc = encodeURIComponent;

const fmt = formats(locale);
const money = fmt.money;
const day = (iso) => (iso ? fmt.day(iso) : t.none);
const when = (instant) => (instant ? fmt.when(instant) : t.none);

function button(parent, text, onclick) {
  const b = item(parent, 'button', text);
  b.type = 'button';
  b.addEventListener('click', onclick);
  return b;
}

function say(ok, error) {
  $('action-ok').textContent = ok || '';
  $('action-error').textContent = error || '';
}

function show(signedIn, who) {
  me = signedIn ? who : null;
  $('signin').hidden = signedIn;
  $('desk').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  $('nav').hidden = !signedIn;
  $('who').textContent = signedIn ? `${who.user} (${who.role})` : '';
  if (signedIn) showWorklist();
}

// ---- the worklist ----------------------------------------------------------------------

async function showWorklist() {
  $('file').hidden = true;
  $('worklist').hidden = false;
  $('worklist-error').textContent = '';
  try {
    const data = await api('GET', '/api/v1/queues');
    const ul = $('queues');
    ul.replaceChildren();
    for (const q of data.queues) {
      const li = item(ul, 'li', '');
      const b = button(li, `${q.name} — ${q.open} ${t.opentasks}, ${q.unassigned} ${t.free}`,
                       () => openQueue(q.name));
      b.dataset.queue = q.name;
      if (q.name === queue) b.className = 'current';
    }
    if (!data.queues.length) item(ul, 'li', t.noqueues);
    if (queue) await openQueue(queue);
  } catch (e) { $('worklist-error').textContent = e.message; }
}

async function openQueue(name, more) {
  queue = name;
  $('queue-view').hidden = false;
  $('queue-title').textContent = name;
  for (const b of $('queues').querySelectorAll('button'))
    b.className = b.dataset.queue === name ? 'current' : '';
  const who = $('task-filter').value;
  const filter = who === 'mine' ? '&mine=1' : who === 'unassigned' ? '&unassigned=1' : '';
  const after = more && tasksNext ? tasksNext : 0;
  try {
    const page = await api('GET', `/api/v1/queues/${enc(name)}/tasks?limit=50&after=${after}${filter}`);
    const body = $('tasks').tBodies[0];
    if (!more) body.replaceChildren();
    for (const k of page.tasks) {
      const tr = item(body, 'tr', '');
      tr.dataset.task = String(k.id);
      item(tr, 'td', String(k.priority), 'num');
      item(tr, 'td', k.account_id);
      item(tr, 'td', k.customer_id);
      item(tr, 'td', k.text || k.rule);
      item(tr, 'td', when(k.created_at));
      item(tr, 'td', k.taken_by || '—');
      const td = item(tr, 'td', '');
      button(td, t.take, () => takeTask(k));
    }
    tasksNext = page.next;
    $('tasks-more').hidden = page.next === null;
  } catch (e) { $('worklist-error').textContent = e.message; }
}

async function takeTask(k) {
  $('worklist-error').textContent = '';
  try {
    task = await api('POST', `/api/v1/tasks/${k.id}/take`, {});
    await openAccount(task.account_id);
  } catch (e) {
    $('worklist-error').textContent = e.message;
    await openQueue(queue);
  }
}

function showTaskBar() {
  const bar = $('task-bar');
  bar.hidden = !task;
  if (!task) return;
  $('task-info').textContent = `${t.task} ${task.id} · ${task.queue} · ${t.priority} ${task.priority}` +
    ` · ${task.text || task.rule} · ${t.held} ${when(task.lease_until)}`;
}

// ---- the customer file ------------------------------------------------------------------

// A live arrangement holds dunning (docs/arrangements.md).
const live = { promise: ['open'], plan: ['proposed', 'current'], dispute: ['open', 'review'],
               postponement: ['active'], handoff: ['active'] };

async function openAccount(id) {
  const path = `/api/v1/accounts/${enc(id)}`;
  const [pos, arr, acts] = await Promise.all([
    api('GET', `${path}/position`),
    api('GET', `${path}/arrangements`).catch(() => ({ arrangements: [] })),
    api('GET', `${path}/actions`).catch(() => ({ case: null, actions: [] })),
  ]);
  if (task && task.account_id !== pos.account_id) task = null;
  account = pos;
  $('worklist').hidden = true;
  $('file').hidden = false;
  $('file-title').textContent = `${pos.account_id} — ${pos.customer_id}`;
  showTaskBar();
  const holds = arr.arrangements.filter((a) => (live[a.kind] || []).includes(a.state));
  describe($('position'), [
    [t.balance, money(pos.balance, pos.currency)],
    [t.overdue, money(pos.overdue, pos.currency)],
    [t.oldest, day(pos.oldest_unpaid_due_on)],
    [t.dpd, String(pos.days_past_due)],
    [t.stage, acts.case ? `${acts.case.stage} (${t.since} ${when(acts.case.stage_since)})` : t.nocase],
    [t.nextcheck, acts.case ? when(acts.case.next_check_at) : t.none],
    [t.holds, holds.length ? holds.map((a) => `${a.id} ${a.kind}`).join(', ') : t.none],
  ]);
  const ul = $('arrangements');
  ul.replaceChildren();
  for (const a of arr.arrangements) item(ul, 'li', `${a.id} ${a.kind} — ${a.state}`);
  if (!arr.arrangements.length) item(ul, 'li', t.none);
  // Forms that only make sense with something to act on.
  const disputes = arr.arrangements.filter((a) => a.kind === 'dispute' && live.dispute.includes(a.state));
  const sel = $('resolve-form').elements.dispute;
  sel.replaceChildren();
  for (const d of disputes) item(sel, 'option', d.id).value = d.id;
  $('resolve-form').hidden = !disputes.length;
  $('recall-form').hidden = !arr.arrangements.some((a) => a.kind === 'handoff' && a.state === 'active');

  const pending = $('pending');
  pending.replaceChildren();
  for (const a of acts.actions) {
    const li = item(pending, 'li', '');
    const what = a.payload.target ? `${a.channel} ${a.action} → ${a.payload.target}` : `${a.channel} ${a.action}`;
    item(li, 'div', `${what} · ${t.due} ${when(a.due_at)} · ${a.state}`);
    item(li, 'div', `${a.rule}${a.reason ? ' — ' + a.reason : ''}`, 'meta');
  }
  if (!acts.actions.length) item(pending, 'li', t.none);

  const ol = $('timeline');
  ol.replaceChildren();
  let after = 0;
  const entries = [];
  for (;;) {
    const page = await api('GET', `${path}/file?after=${after}&limit=1000`);
    entries.push(...page.entries);
    if (page.next === null) break;
    after = page.next;
  }
  for (const e of entries.reverse()) {
    const li = item(ol, 'li', '');
    item(li, 'div', `${when(e.at)} · ${e.kind} · ${e.author}${e.account_id ? ' · ' + e.account_id : ''}`, 'meta');
    item(li, 'div', e.body);
  }
}

// Sends a form's non-empty fields to `path`, then reads the file again.
function act(formId, path, fields, extra) {
  $(formId).addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const body = extra ? extra() : {};
    for (const k of fields) {
      const v = (f.get(k) || '').trim();
      if (v) body[k] = v;
    }
    try {
      await api('POST', path(f), body);
      ev.target.reset();
      say(t.done);
      await openAccount(account.account_id);
    } catch (e) { say('', e.message); }
  });
}

const acc = () => `/api/v1/accounts/${enc(account.account_id)}`;
act('note-form', () => `${acc()}/notes`, ['text']);
act('promise-form', () => `${acc()}/promises`, ['amount', 'date']);
act('plan-form', () => `${acc()}/plans`, ['instalments', 'every_days', 'day_of_month', 'first', 'down', 'note']);
act('dispute-form', () => `${acc()}/disputes`, ['invoice', 'amount', 'reason']);
act('resolve-form', (f) => `/api/v1/disputes/${enc(f.get('dispute'))}/resolve`, ['outcome', 'note']);
act('flag-form', () => `/api/v1/customers/${enc(account.customer_id)}/contacts/bad`, ['kind', 'note'],
    () => ({ account: account.account_id }));
act('recall-form', () => `${acc()}/handoff/recall`, ['note']);

$('task-bar').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  const body = { outcome: f.get('outcome') };
  if (f.get('note').trim()) body.note = f.get('note').trim();
  try {
    const closed = await api('POST', `/api/v1/tasks/${task.id}/close`, body);
    ev.target.reset();
    task = null;
    showTaskBar();
    say(`${t.closed}: ${closed.id} — ${closed.outcome}`);
    await openAccount(account.account_id);
  } catch (e) { say('', e.message); }
});

$('task-release').addEventListener('click', async () => {
  try {
    await api('POST', `/api/v1/tasks/${task.id}/release`, {});
    task = null;
    showTaskBar();
  } catch (e) { say('', e.message); }
});

// ---- sign-in, search, keys -----------------------------------------------------------------

passwordSignIn(session, $('signin-form'), $('signin-error'), (who) => show(true, who));

signOutButton(session, $('signout'), () => {
  task = null;
  show(false);
});

$('find-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await openAccount(new FormData(ev.target).get('account').trim());
    $('find-error').textContent = '';
    say();
  } catch (e) { $('find-error').textContent = e.message; }
});

$('go-worklist').addEventListener('click', () => showWorklist());
$('task-filter').addEventListener('change', () => queue && openQueue(queue));
$('tasks-more').addEventListener('click', () => openQueue(queue, true));

document.addEventListener('keydown', (ev) => {
  const typing = ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName);
  if (ev.key === '/' && !typing && me) {
    ev.preventDefault();
    document.querySelector('#find-form input[name=account]').focus();
  } else if (ev.altKey && (ev.key === 'w' || ev.key === 'W') && me) {
    ev.preventDefault();
    showWorklist();
  } else if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey) && document.activeElement?.tagName === 'TEXTAREA') {
    ev.preventDefault();
    document.activeElement.form.requestSubmit();
  }
});

// A session that is still open (the cookie) signs in by itself.
session.current().then((who) => show(true, who)).catch(() => show(false));
