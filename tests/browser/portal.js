// The customers' portal in headless Chromium (Debian's, driven by
// playwright-core): a customer asks for a code by SMS, reads it where the
// recording adapter wrote it, signs in, sees the balance in her own
// language (the browser speaks French, the customer Portuguese), reads an
// account's invoices and asks for a payment plan, accepted at once. A
// screenshot of each step goes to SHOTS.
//
//   node tests/browser/portal.js URL USER RECORD_FILE PHONE ACCOUNT SHOTS
'use strict';

const fs = require('fs');
const { withPage, run } = require('./lib');

const [url, user, record, phone, account, shots] = process.argv.slice(2);

// The code of the last "code" line to `to` in the record file, waiting for
// the cycle that sends it (20 s at most).
async function codeFor(to) {
  for (let i = 0; i < 200; i++) {
    const lines = fs.existsSync(record) ? fs.readFileSync(record, 'utf8').split('\n') : [];
    const sent = lines.filter((l) => l.includes('"action":"code"')).map((l) => JSON.parse(l))
      .filter((r) => r.to === to);
    if (sent.length) {
      const m = /(\d{6})/.exec(sent[sent.length - 1].text);
      if (m) return m[1];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no code sent to ${to}`);
}

run(() => withPage({ shots, locale: 'fr-FR', viewport: { width: 390, height: 844 } }, async (page, shot) => {
  // Before signing in: the browser's language.
  await page.goto(`${url}/portal/`);
  await page.getByRole('button', { name: 'Recevoir un code' }).waitFor();
  if (await page.locator('#signin-form').isVisible()) throw new Error('the code field shows before a code was asked for');
  await shot('portal-1-sign-in');

  // By keyboard: the name, the channel, Enter.
  await page.fill('input[name=user]', user);
  await page.check('input[name=channel][value=sms]');
  await page.press('input[name=user]', 'Enter');
  await page.locator('#code-sent').filter({ hasText: 'un code est en route' }).waitFor();
  const code = await codeFor(phone);

  // A wrong code first: told, not signed in.
  const wrong = code === '000000' ? '000001' : '000000';
  await page.fill('input[name=code]', wrong);
  await page.press('input[name=code]', 'Enter');
  await page.locator('#signin-error').filter({ hasText: 'wrong or expired' }).waitFor();
  await page.fill('input[name=code]', code);
  await page.press('input[name=code]', 'Enter');

  // Signed in: the customer's language (pt-BR), her amounts in reais.
  await page.locator('#accounts-title').filter({ hasText: 'Suas contas' }).waitFor();
  const card = page.locator(`#accounts li[data-account="${account}"]`);
  await card.waitFor();
  const text = await card.innerText();
  if (!/R\$\s*200,00/.test(text)) throw new Error(`the balance shown: ${text}`);
  if (!/(Aviso formal|Pagamento em atraso|Lembretes|Serviço suspenso)/.test(text)) throw new Error(`no stage in words: ${text}`);
  const all = await page.locator('#accounts').innerText();
  if (/A-FR-1|Marie/.test(all)) throw new Error('another customer is shown');
  await shot('portal-2-accounts', { fullPage: true });

  await card.getByRole('button', { name: 'Detalhes' }).click();
  await page.locator('#invoices').filter({ hasText: 'I-BR-3' }).waitFor();
  const limit = await page.locator('#plan-limit').innerText();
  if (!limit.includes('até 3 parcelas')) throw new Error(`the plan limit shown: ${limit}`);

  // Beyond what she may have alone: refused with the reason.
  await page.fill('#plan-form input[name=instalments]', '3');
  await page.click('#plan-form button[type=submit]');
  await page.locator('#action-error').filter({ hasText: 'Não aceito' }).waitFor();

  // Within it: accepted at once.
  await page.fill('#plan-form input[name=instalments]', '3');
  await page.fill('#plan-form input[name=down]', '20.00');
  await page.selectOption('#plan-form select[name=every_days]', '30');
  await page.click('#plan-form button[type=submit]');
  await page.locator('#action-ok').filter({ hasText: 'Feito' }).waitFor();
  await page.locator('#arrangements').filter({ hasText: 'Parcelamento' }).filter({ hasText: 'em andamento' }).waitFor();
  await page.locator('#position').filter({ hasText: 'Parcelamento em andamento' }).waitFor();
  await shot('portal-3-plan', { fullPage: true });

  // Signing out brings back the browser's language.
  await page.click('#signout');
  await page.getByRole('button', { name: 'Recevoir un code' }).waitFor();
}), 'portal: signed in by code, read the accounts, a plan accepted');
