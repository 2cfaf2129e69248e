// The managers' dashboard in headless Chromium (Debian's, driven by
// playwright-core): a manager signs in, shows a period, reads the charts
// (SVG bars) and the tables, switches to English, and downloads a table as
// CSV with the link under it; a screenshot of each step goes to SHOTS. The
// figures are those of tests/integration/dashboard.sh's story.
//
//   node tests/browser/dashboard.js URL USER PASSWORD SHOTS
'use strict';

const { withPage, run, expect } = require('./lib');

const [url, user, password, shots] = process.argv.slice(2);

run(() => withPage({ shots, locale: 'pt-BR', viewport: { width: 1280, height: 900 } }, async (page, shot) => {
  await page.goto(`${url}/dashboard/`);
  await page.getByRole('button', { name: 'Entrar' }).waitFor();
  await shot('dashboard-1-sign-in');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await page.click('#signin-form button[type=submit]');
  await page.locator('#who').filter({ hasText: `${user} (manager)` }).waitFor();

  // Signed in, the server's default period: the 30 days ending on its date.
  await page.locator('#recovered-table').filter({ hasText: 'suspensao' }).waitFor();
  const from = await page.inputValue('input[name=from]');
  const to = await page.inputValue('input[name=to]');
  if (from !== '2024-06-01' || to !== '2024-06-30') throw new Error(`default period ${from} to ${to}`);

  await page.fill('input[name=from]', '2024-05-20');
  await page.fill('input[name=to]', '2024-06-30');
  await page.fill('input[name=days]', '7');
  await page.click('#period-form button[type=submit]');
  // The ageing of the new period starts on its first Sunday, 26 May.
  await page.locator('#ageing-table').filter({ hasText: '26 de mai' }).waitFor();

  // Recovered: a chart by stage and one by channel, two bars each.
  const recoveredBars = await page.locator('#recovered-charts svg rect.bar').count();
  if (recoveredBars !== 4) throw new Error(`${recoveredBars} bars recovered, expected 4`);
  const recovered = await page.locator('#recovered-table').innerText();
  expect('recovered', recovered, /suspensao\s+BRL\s+2\s+R\$\s*199,80/);
  expect('recovered', recovered, /lembrete\s+BRL\s+1\s+R\$\s*50,00/);
  expect('recovered', recovered, /total\s+BRL\s+3\s+R\$\s*249,80/);
  const contacts = await page.locator('#contacts-table').innerText();
  expect('contacts', contacts, /escada-isp\/suspensao\/action#2\s+BRL\s+3\s+2 \(66,7\s*%\)\s+2\s+R\$\s*199,80/);
  // Ageing: a stacked bar for each of the 6 weeks, one segment each.
  const ageingBars = await page.locator('#ageing-charts svg rect.bar').count();
  if (ageingBars !== 6) throw new Error(`${ageingBars} ageing segments, expected 6`);
  const ageing = await page.locator('#ageing-table').innerText();
  expect('ageing', ageing, /26 de mai\.? de 2024\s+BRL\s+R\$\s*299,80/);
  expect('ageing', ageing, /30 de jun\.? de 2024\s+BRL\s+R\$\s*0,00\s+R\$\s*50,00/);
  const kept = await page.locator('#arrangements-svg').innerHTML();
  expect('arrangements chart', kept, /Promessas cumpridas/);
  const arrangements = await page.locator('#arrangements-table').innerText();
  expect('arrangements', arrangements, /promise\s+broken\s+BRL\s+1\s+R\$\s*40,00/);
  expect('arrangements', arrangements, /promise\s+kept\s+BRL\s+1\s+R\$\s*50,00/);
  // Restorations: the summary, a bar per restoration, the late one apart,
  // and the legal maximum as a line.
  const summary = await page.locator('#restorations-summary').innerText();
  expect('restorations', summary, /^2 suspensões, 2 religações, 1 além do prazo legal$/);
  const late = await page.locator('#restorations-charts svg rect.bar.late').count();
  const onTime = await page.locator('#restorations-charts svg rect.bar:not(.late)').count();
  const limit = await page.locator('#restorations-charts svg line.limit').count();
  if (late !== 1 || onTime !== 1 || limit !== 1) throw new Error(`restorations chart: ${late} late, ${onTime} on time, ${limit} limit`);
  const restorations = await page.locator('#restorations-table').innerText();
  expect('restorations', restorations, /restore\s+A-2\s+\S+\s+26\/06\/2024,? 15:00 UTC\s+25\/06\/2024,? 12:00 UTC\s+27 h\s+24 h\s+sim/);
  await shot('dashboard-2-charts', { fullPage: true });

  // In English, the same figures formatted for English.
  await page.selectOption('#lang', 'en');
  await page.getByRole('heading', { name: 'Recovered' }).waitFor();
  expect('recovered in English', await page.locator('#recovered-table').innerText(),
         /suspensao\s+BRL\s+2\s+R\$\s*199\.80/);
  await shot('dashboard-3-english', { fullPage: true });

  // The CSV link under a table downloads that table, under the session.
  const href = await page.locator('#recovered-csv').getAttribute('href');
  if (!href || !href.includes('format=csv')) throw new Error(`CSV link: ${href}`);
  const res = await page.request.get(new URL(href, url).toString());
  if (res.status() !== 200) throw new Error(`CSV: HTTP ${res.status()}`);
  if (!res.headers()['content-type'].startsWith('text/csv')) throw new Error('CSV: not text/csv');
  const csv = await res.text();
  expect('CSV', csv, /^by,name,currency,payments,amount\r\n/);
  expect('CSV', csv, /\r\nstage,suspensao,BRL,2,199\.80\r\n/);
}), 'dashboard: signed in, read the charts and tables, downloaded a CSV');
