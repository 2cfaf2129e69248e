// The managers' dashboard: the figures of /api/v1/reports/* (docs/api.md
// "The dashboard") over a chosen period, drawn as SVG charts built with DOM
// calls, each with its table and the CSV of that table. Every figure comes
// from the API under the manager's session; text from the server is always
// set as text, never as HTML. Amounts are decimal strings: they are
// formatted for the reader, and turned into numbers only to size the bars.

import { client, passwordSignIn, signOutButton } from '../common/api.js';
import { $, item, showLabels } from '../common/dom.js';
import { formats, languageOf } from '../common/format.js';

const words = {
  en: { language: 'Language', signin: 'Sign in', signout: 'Sign out', user: 'User',
        password: 'Password', from: 'From', to: 'To', days: 'Days after a message',
        every: 'Ageing at the end of each', week: 'week', month: 'month', show: 'Show',
        recovered: 'Recovered', contacts: 'Payments after messages',
        ageing: 'Overdue by days past due', arrangements: 'Promises and plans',
        restorations: 'Suspensions and restorations', byStage: 'By stage',
        byChannel: 'By channel', channelHead: 'Channel', by: 'By', name: 'Name', stage: 'stage', channel: 'channel',
        none: 'not attributed', total: 'total', currency: 'Currency', payments: 'Payments',
        amount: 'Amount', rule: 'Rule', messages: 'Messages', paid: 'Followed by a payment',
        date: 'Date', overdue: 'Overdue', kind: 'Kind', state: 'State', count: 'Count',
        action: 'Action', account: 'Account', done: 'Performed', paidAt: 'Paid',
        delay: 'Delay', limit: 'Legal maximum', late: 'Late', yes: 'yes', no: 'no',
        hours: 'h', kept: 'Promises kept', broken: 'Promises broken',
        plansCompleted: 'Plans completed', plansBroken: 'Plans broken',
        delays: 'Delay from payment to restoration (hours)',
        summary: (s, r, b) => `${s} suspensions, ${r} restorations, ${b} later than the law allows`,
        nothing: 'Nothing in this period.' },
  fr: { language: 'Langue', signin: 'Se connecter', signout: 'Se déconnecter',
        user: 'Utilisateur', password: 'Mot de passe', from: 'Du', to: 'Au',
        days: 'Jours après un message', every: 'Ancienneté à la fin de chaque',
        week: 'semaine', month: 'mois', show: 'Afficher', recovered: 'Recouvré',
        contacts: 'Paiements après les messages', ageing: 'Échu par ancienneté',
        arrangements: 'Promesses et échéanciers', restorations: 'Suspensions et rétablissements',
        byStage: 'Par étape', byChannel: 'Par canal', channelHead: 'Canal', by: 'Par', name: 'Nom', stage: 'étape',
        channel: 'canal', none: 'non attribué', total: 'total', currency: 'Devise',
        payments: 'Paiements', amount: 'Montant', rule: 'Règle', messages: 'Messages',
        paid: 'Suivis d’un paiement', date: 'Date', overdue: 'Échu', kind: 'Type',
        state: 'État', count: 'Nombre', action: 'Action', account: 'Compte',
        done: 'Effectué', paidAt: 'Payé', delay: 'Délai', limit: 'Maximum légal',
        late: 'En retard', yes: 'oui', no: 'non', hours: 'h', kept: 'Promesses tenues',
        broken: 'Promesses non tenues', plansCompleted: 'Échéanciers soldés',
        plansBroken: 'Échéanciers rompus',
        delays: 'Délai entre paiement et rétablissement (heures)',
        summary: (s, r, b) => `${s} suspensions, ${r} rétablissements, ${b} au-delà du délai légal`,
        nothing: 'Rien sur cette période.' },
  pt: { language: 'Idioma', signin: 'Entrar', signout: 'Sair', user: 'Usuário',
        password: 'Senha', from: 'De', to: 'Até', days: 'Dias após uma mensagem',
        every: 'Aging ao fim de cada', week: 'semana', month: 'mês', show: 'Mostrar',
        recovered: 'Recuperado', contacts: 'Pagamentos após mensagens',
        ageing: 'Vencido por dias de atraso', arrangements: 'Promessas e parcelamentos',
        restorations: 'Suspensões e religações', byStage: 'Por etapa', byChannel: 'Por canal', channelHead: 'Canal',
        by: 'Por', name: 'Nome', stage: 'etapa', channel: 'canal', none: 'não atribuído',
        total: 'total', currency: 'Moeda', payments: 'Pagamentos', amount: 'Valor',
        rule: 'Regra', messages: 'Mensagens', paid: 'Seguidas de pagamento', date: 'Data',
        overdue: 'Vencido', kind: 'Tipo', state: 'Situação', count: 'Quantidade',
        action: 'Ação', account: 'Conta', done: 'Realizada', paidAt: 'Pago', delay: 'Prazo',
        limit: 'Máximo legal', late: 'Atrasada', yes: 'sim', no: 'não', hours: 'h',
        kept: 'Promessas cumpridas', broken: 'Promessas quebradas',
        plansCompleted: 'Parcelamentos quitados', plansBroken: 'Parcelamentos rompidos',
        delays: 'Prazo entre pagamento e religação (horas)',
        summary: (s, r, b) => `${s} suspensões, ${r} religações, ${b} além do prazo legal`,
        nothing: 'Nada neste período.' },
  uk: { language: 'Мова', signin: 'Увійти', signout: 'Вийти', user: 'Користувач',
        password: 'Пароль', from: 'З', to: 'По', days: 'Днів після повідомлення',
        every: 'Старіння на кінець кожного', week: 'тижня', month: 'місяця',
        show: 'Показати', recovered: 'Стягнуто', contacts: 'Оплати після повідомлень',
        ageing: 'Прострочено за днями', arrangements: 'Обіцянки та розстрочки',
        restorations: 'Призупинення та відновлення', byStage: 'За етапом',
        byChannel: 'За каналом', channelHead: 'Канал', by: 'За', name: 'Назва', stage: 'етап', channel: 'канал',
        none: 'не віднесено', total: 'разом', currency: 'Валюта', payments: 'Оплати',
        amount: 'Сума', rule: 'Правило', messages: 'Повідомлення',
        paid: 'З оплатою після', date: 'Дата', overdue: 'Прострочено', kind: 'Вид',
        state: 'Стан', count: 'Кількість', action: 'Дія', account: 'Рахунок',
        done: 'Виконано', paidAt: 'Оплачено', delay: 'Затримка', limit: 'Законний максимум',
        late: 'Із запізненням', yes: 'так', no: 'ні', hours: 'год',
        kept: 'Виконані обіцянки', broken: 'Порушені обіцянки',
        plansCompleted: 'Виконані розстрочки', plansBroken: 'Порушені розстрочки',
        delays: 'Затримка від оплати до відновлення (години)',
        summary: (s, r, b) => `призупинень: ${s}, відновлень: ${r}, із порушенням строку: ${b}`,
        nothing: 'Нічого за цей період.' },
};
// The locale of numbers and dates for each language of the selector: the
// browser's own when it speaks that language.
const regions = { en: 'en-GB', fr: 'fr-FR', pt: 'pt-BR', uk: 'uk-UA' };
const bucketNames = ['0–30', '31–60', '61–90', '91+'];
const SVG = 'http://www.w3.org/2000/svg';

let lang = languageOf(navigator.language);
let t = words[lang];
let fmt = formats(regions[lang]);
const session = client('csrf');
const { api } = session;
let last = null;   // the figures shown, drawn again when the language changes

function setLanguage(l) {
  lang = l;
  t = words[l];
  const nav = navigator.language || '';
  fmt = formats(nav.slice(0, 2) === l ? nav : regions[l]);
  document.documentElement.lang = fmt.locale;
  $('lang').value = l;
  showLabels(t);
  if (last) render(last);
}

const money = (amount, currency) => fmt.money(amount, currency);
const count = (n) => fmt.number(n);
const day = (iso) => fmt.day(iso);
const instant = (iso) => fmt.utc(iso);
const hours = (seconds) => `${fmt.number(seconds / 3600, { maximumFractionDigits: 1 })} ${t.hours}`;

function svgEl(parent, tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  parent.append(e);
  return e;
}

function table(id, head, rows) {
  const tb = $(id);
  tb.replaceChildren();
  const tr = item(item(tb, 'thead'), 'tr');
  for (const h of head) item(tr, 'th', h);
  const body = item(tb, 'tbody');
  for (const r of rows) {
    const row = item(body, 'tr');
    for (const c of r) item(row, 'td', c);
  }
  if (!rows.length) item(item(body, 'tr'), 'td', t.nothing).colSpan = head.length;
}

// Horizontal bars, one per item {label, value (a number, for the length
// only), text (what is written)}; `mark` draws a vertical line at that
// value (a legal maximum) and items with `late` are drawn apart.
function barChart(parent, title, items, mark) {
  const fig = item(parent, 'figure', undefined, 'chart');
  item(fig, 'figcaption', title);
  const rowH = 26, labelW = 190, barW = 300, textW = 130;
  const svg = svgEl(fig, 'svg', { width: labelW + barW + textW, height: rowH * Math.max(items.length, 1) + 8,
                                   role: 'img', 'aria-label': title });
  const max = Math.max(...items.map((i) => i.value), mark || 0, 1e-9);
  items.forEach((it, k) => {
    const y = 4 + k * rowH;
    svgEl(svg, 'text', { x: labelW - 6, y: y + 16, 'text-anchor': 'end', class: 'label' }, it.label);
    svgEl(svg, 'rect', { x: labelW, y: y + 3, height: rowH - 8, width: Math.max(1, (it.value / max) * barW),
                         class: it.late ? 'bar late' : 'bar' });
    svgEl(svg, 'text', { x: labelW + Math.max(1, (it.value / max) * barW) + 6, y: y + 16, class: 'value' }, it.text);
  });
  if (mark) {
    const x = labelW + (mark / max) * barW;
    svgEl(svg, 'line', { x1: x, x2: x, y1: 0, y2: rowH * items.length + 8, class: 'limit' });
  }
  return svg;
}

// Vertical stacked bars: one per point, one segment per bucket.
function stackedChart(parent, title, points) {
  const fig = item(parent, 'figure', undefined, 'chart');
  item(fig, 'figcaption', title);
  const colW = 72, h = 200, left = 10, legendH = 24;
  const svg = svgEl(fig, 'svg', { width: left + colW * points.length + 20, height: h + 40 + legendH,
                                   role: 'img', 'aria-label': title });
  const max = Math.max(...points.map((p) => p.values.reduce((a, b) => a + b, 0)), 1e-9);
  points.forEach((p, k) => {
    let y = h;
    p.values.forEach((v, b) => {
      const bh = (v / max) * (h - 10);
      if (bh > 0) {
        const r = svgEl(svg, 'rect', { x: left + k * colW + 6, y: y - bh, width: colW - 12, height: bh,
                                       class: `bar b${b}` });
        svgEl(r, 'title', {}, `${bucketNames[b]}: ${p.texts[b]}`);
      }
      y -= bh;
    });
    svgEl(svg, 'text', { x: left + k * colW + colW / 2, y: h + 16, 'text-anchor': 'middle', class: 'label' }, p.label);
  });
  bucketNames.forEach((name, b) => {
    svgEl(svg, 'rect', { x: left + b * 80, y: h + 28, width: 12, height: 12, class: `b${b}` });
    svgEl(svg, 'text', { x: left + b * 80 + 16, y: h + 38, class: 'label' }, name);
  });
  return svg;
}

const num = (s) => Number(s);   // bar lengths only: never added up or shown
const byCurrency = (rows) => {
  const m = new Map();
  for (const r of rows) {
    if (!m.has(r.currency)) m.set(r.currency, []);
    m.get(r.currency).push(r);
  }
  return m;
};

function renderRecovered(d) {
  const box = $('recovered-charts');
  box.replaceChildren();
  const rec = d.recovered;
  for (const [title, rows, key] of [[t.byStage, rec.by_stage, 'stage'], [t.byChannel, rec.by_channel, 'channel']])
    for (const [cur, list] of byCurrency(rows))
      barChart(box, `${title} (${cur})`, list.map((r) => ({ label: r[key], value: num(r.amount),
                                                             text: money(r.amount, r.currency) })));
  const rows = [];
  for (const r of rec.by_stage) rows.push([t.stage, r.stage, r.currency, count(r.payments), money(r.amount, r.currency)]);
  for (const r of rec.by_channel) rows.push([t.channel, r.channel, r.currency, count(r.payments), money(r.amount, r.currency)]);
  for (const r of rec.not_attributed) rows.push([t.none, '', r.currency, count(r.payments), money(r.amount, r.currency)]);
  for (const r of rec.totals) rows.push([t.total, '', r.currency, count(r.payments), money(r.amount, r.currency)]);
  table('recovered-table', [t.by, t.name, t.currency, t.payments, t.amount], rows);
}

function renderContacts(d) {
  const box = $('contacts-charts');
  box.replaceChildren();
  const rules = d.contacts.rules;
  for (const [cur, list] of byCurrency(rules))
    barChart(box, `${t.contacts} (${cur})`, list.map((r) => ({ label: `${r.channel} ${r.rule.split('/').slice(1).join('/')}`,
                                                               value: num(r.amount), text: money(r.amount, r.currency) })));
  table('contacts-table', [t.channelHead, t.rule, t.currency, t.messages, t.paid, t.payments, t.amount],
        rules.map((r) => [r.channel, r.rule, r.currency, count(r.messages),
                          `${count(r.messages_paid)} (${fmt.number(r.paid_per_mille / 1000, { style: 'percent', maximumFractionDigits: 1 })})`,
                          count(r.payments), money(r.amount, r.currency)]));
}

function renderAgeing(d) {
  const box = $('ageing-charts');
  box.replaceChildren();
  const points = d.ageing.points;
  for (const [cur, list] of byCurrency(points))
    stackedChart(box, `${t.ageing} (${cur})`, list.map((p) => ({
      label: fmt.dayMonth(p.date),
      values: p.amounts.map(num), texts: p.amounts.map((a) => money(a, cur)) })));
  table('ageing-table', [t.date, t.currency, ...bucketNames, t.overdue],
        points.map((p) => [day(p.date), p.currency, ...p.amounts.map((a) => money(a, p.currency)),
                           money(p.overdue, p.currency)]));
}

function renderArrangements(d) {
  const box = $('arrangements-charts');
  box.replaceChildren();
  const a = d.arrangements;
  const svg = barChart(box, t.arrangements, [
    { label: t.kept, value: a.promises_kept, text: count(a.promises_kept) },
    { label: t.broken, value: a.promises_broken, text: count(a.promises_broken), late: true },
    { label: t.plansCompleted, value: a.plans_completed, text: count(a.plans_completed) },
    { label: t.plansBroken, value: a.plans_broken, text: count(a.plans_broken), late: true },
  ]);
  svg.id = 'arrangements-svg';
  table('arrangements-table', [t.kind, t.state, t.currency, t.count, t.amount],
        a.rows.map((r) => [r.kind, r.state, r.currency, count(r.count), money(r.amount, r.currency)]));
}

function renderRestorations(d) {
  const box = $('restorations-charts');
  box.replaceChildren();
  const r = d.restorations;
  $('restorations-summary').textContent = t.summary(count(r.suspensions), count(r.restorations), count(r.breaches));
  const back = r.rows.filter((x) => x.action === 'restore' && x.delay_seconds !== null);
  const limit = Math.max(0, ...back.map((x) => x.limit_seconds || 0));
  if (back.length)
    barChart(box, t.delays, back.map((x) => ({ label: `${x.account_id} ${instant(x.done_at)}`,
                                               value: x.delay_seconds / 3600, text: hours(x.delay_seconds),
                                               late: x.breach })), limit / 3600);
  table('restorations-table', [t.action, t.account, t.rule, t.done, t.paidAt, t.delay, t.limit, t.late],
        r.rows.map((x) => [x.action, x.account_id, x.rule, instant(x.done_at),
                           x.paid_at ? instant(x.paid_at) : '', x.delay_seconds === null ? '' : hours(x.delay_seconds),
                           x.limit_seconds === null ? '' : hours(x.limit_seconds),
                           x.action === 'restore' ? (x.breach ? t.yes : t.no) : '']));
}

function render(all) {
  renderRecovered(all.recovered);
  renderContacts(all.contacts);
  renderAgeing(all.ageing);
  renderArrangements(all.arrangements);
  renderRestorations(all.restorations);
}

async function load() {
  const f = new FormData($('period-form'));
  // No dates yet: the server's default period (the 30 days ending on its
  // date), which then fills the pickers.
  const q = new URLSearchParams();
  if (f.get('from')) q.set('from', f.get('from'));
  if (f.get('to')) q.set('to', f.get('to'));
  const parts = {
    recovered: new URLSearchParams([...q, ['days', f.get('days')]]),
    contacts: new URLSearchParams([...q, ['days', f.get('days')]]),
    ageing: new URLSearchParams([...q, ['every', f.get('every')]]),
    arrangements: q,
    restorations: q,
  };
  const all = {};
  await Promise.all(Object.entries(parts).map(async ([part, params]) => {
    all[part] = await api('GET', `/api/v1/reports/${part}?${params}`);
    const csv = new URLSearchParams(params);
    csv.set('format', 'csv');
    $(`${part}-csv`).href = `/api/v1/reports/${part}?${csv}`;
  }));
  last = all;
  $('period-form').elements.from.value = all.recovered.from;
  $('period-form').elements.to.value = all.recovered.to;
  render(all);
}

function show(signedIn, who) {
  $('signin').hidden = signedIn;
  $('board').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  $('who').textContent = signedIn ? `${who.user} (${who.role})` : '';
  if (signedIn) load().catch((e) => { $('period-error').textContent = e.message; });
}

$('lang').addEventListener('change', (ev) => setLanguage(ev.target.value));

passwordSignIn(session, $('signin-form'), $('signin-error'), (who) => show(true, who));

signOutButton(session, $('signout'), () => {
  last = null;
  show(false);
});

$('period-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await load();
    $('period-error').textContent = '';
  } catch (e) { $('period-error').textContent = e.message; }
});

setLanguage(lang);
// A session that is still open (the cookie) signs in by itself.
session.current().then((who) => show(true, who)).catch(() => show(false));
