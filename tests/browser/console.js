// The agents' console in headless Chromium (Debian's, driven by
// playwright-core): an agent signs in, opens the worklist (tasks by
// priority), takes a task, which opens the customer file, reads it, records
// a promise and closes the task; then takes a second task from the
// keyboard's worklist, proposes a plan and closes that one. A screenshot of
// each step goes to SHOTS.
//
//   node tests/browser/console.js URL USER PASSWORD ACCOUNT SHOTS QUEUE ACCOUNT2
'use strict';

const { withPage, run } = require('./lib');

const [url, user, password, account, shots, queue, account2] = process.argv.slice(2);

run(() => withPage({ shots, locale: 'pt-BR', viewport: { width: 1280, height: 900 } }, async (page, shot) => {
  await page.goto(`${url}/console/`);
  await page.getByRole('button', { name: 'Entrar' }).waitFor();
  await shot('console-1-sign-in');

  // A wrong password first: told, not signed in.
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', 'not the password');
  await page.click('#signin-form button[type=submit]');
  await page.locator('#signin-error').filter({ hasText: 'wrong user or password' }).waitFor();

  await page.fill('input[name=password]', password);
  await page.press('input[name=password]', 'Enter');   // Enter submits
  await page.locator('#who').filter({ hasText: `${user} (agent)` }).waitFor();

  // The worklist: the queue, then its tasks by priority (1 first).
  const queueButton = page.locator(`#queues button[data-queue="${queue}"]`);
  await queueButton.waitFor();
  await queueButton.click();
  await page.locator('#tasks tbody tr').first().waitFor();
  const priorities = await page.locator('#tasks tbody tr td:first-child').allInnerTexts();
  const sorted = [...priorities].sort((a, b) => Number(a) - Number(b));
  if (priorities.length < 3 || priorities.join() !== sorted.join())
    throw new Error(`tasks not by priority: ${priorities.join()}`);
  await shot('console-4-worklist', { fullPage: true });

  // Take the task of the account: its file opens, with the task on top.
  const row = page.locator('#tasks tbody tr').filter({ hasText: account });
  await row.getByRole('button', { name: 'Pegar' }).click();
  await page.locator('#file-title').filter({ hasText: account }).waitFor();
  await page.locator('#task-info').filter({ hasText: `com você até` }).waitFor();
  // The file is shown as text: a note holding markup is not run.
  await page.locator('#timeline').filter({ hasText: '<b>bold?</b> called twice' }).waitFor();
  if (await page.locator('#timeline b').count() !== 0) throw new Error('markup from the file was run');
  const position = await page.locator('#position').innerText();
  if (!/R\$\s*129,90/.test(position)) throw new Error(`position shown: ${position}`);
  if (!/Etapa\s+\S+/.test(position) || position.includes('sem caso'))
    throw new Error(`no stage shown: ${position}`);
  await shot('console-2-file', { fullPage: true });

  await page.fill('#promise-form input[name=amount]', '50.00');
  await page.fill('#promise-form input[name=date]', '2024-08-01');
  await page.click('#promise-form button[type=submit]');
  await page.locator('#arrangements').filter({ hasText: 'promise — open' }).waitFor();
  await page.locator('#timeline').filter({ hasText: 'promises 50.00 BRL by 2024-08-01' }).waitFor();
  await page.locator('#position').filter({ hasText: 'promise' }).waitFor();   // a hold
  await shot('console-3-promise', { fullPage: true });

  // Close the task with its outcome: written on the file by the agent.
  await page.selectOption('#task-bar select[name=outcome]', 'promise');
  await page.fill('#task-bar input[name=note]', 'paga dia 1º');
  await page.press('#task-bar input[name=note]', 'Enter');
  await page.locator('#action-ok').filter({ hasText: 'Tarefa encerrada' }).waitFor();
  await page.locator('#timeline').filter({ hasText: 'closed: promise: paga dia 1º' }).waitFor();
  await page.locator('#task-bar').waitFor({ state: 'hidden' });
  await shot('console-5-closed', { fullPage: true });

  // Keys: "/" goes to the search box, Alt+W back to the worklist.
  await page.locator('body').click({ position: { x: 5, y: 880 } });
  await page.keyboard.press('/');
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.name);
  if (focused !== 'account') throw new Error(`"/" focused ${focused}`);
  await page.keyboard.press('Alt+w');
  await page.locator('#worklist').waitFor();
  // The list is read again: the closed task leaves it, the others stay.
  await page.locator('#tasks tbody tr').filter({ hasText: account }).waitFor({ state: 'detached' });
  await page.locator('#tasks tbody tr').filter({ hasText: account2 }).waitFor();

  // The second task: a plan proposed, the task closed.
  await page.locator('#tasks tbody tr').filter({ hasText: account2 })
    .getByRole('button', { name: 'Pegar' }).click();
  await page.locator('#file-title').filter({ hasText: account2 }).waitFor();
  await page.fill('#plan-form input[name=instalments]', '3');
  await page.fill('#plan-form input[name=every_days]', '30');
  await page.fill('#plan-form input[name=down]', '20.00');
  await page.press('#plan-form input[name=down]', 'Enter');
  await page.locator('#arrangements').filter({ hasText: 'plan — proposed' }).waitFor();
  await page.selectOption('#task-bar select[name=outcome]', 'plan');
  await page.click('#task-bar button[type=submit]');
  await page.locator('#action-ok').filter({ hasText: 'Tarefa encerrada' }).waitFor();
  await shot('console-6-plan', { fullPage: true });
}), 'console: signed in, took a task, read the file, recorded a promise, ' +
    'closed the task, proposed a plan');
