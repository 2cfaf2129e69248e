// The agents' console in headless Chromium (Debian's, driven by
// playwright-core): an agent signs in, finds an account, reads its file and
// records a promise; a screenshot of each step goes to SHOTS.
//
//   node tests/browser/console.js URL USER PASSWORD ACCOUNT SHOTS
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [url, user, password, account, shots] = process.argv.slice(2);

async function main() {
  fs.mkdirSync(shots, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'relance-chromium-'));
  // A fresh profile each run: nothing carried over between tests.
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
    locale: 'pt-BR',
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // Script errors count; refused requests (401 before signing in, the
    // wrong password, the browser's own favicon) are the page working.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });

    await page.goto(`${url}/console/`);
    await page.getByRole('button', { name: 'Entrar' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'console-1-sign-in.png') });

    // A wrong password first: told, not signed in.
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', 'not the password');
    await page.click('#signin-form button[type=submit]');
    await page.locator('#signin-error').filter({ hasText: 'wrong user or password' }).waitFor();

    await page.fill('input[name=password]', password);
    await page.click('#signin-form button[type=submit]');
    await page.locator('#who').filter({ hasText: `${user} (agent)` }).waitFor();

    await page.fill('input[name=account]', account);
    await page.click('#find-form button[type=submit]');
    await page.locator('#file-title').filter({ hasText: account }).waitFor();
    const position = await page.locator('#position').innerText();
    if (!/R\$\s*129,90/.test(position)) throw new Error(`position shown: ${position}`);
    // The file is shown as text: a note holding markup is not run.
    const timeline = await page.locator('#timeline').innerText();
    if (!timeline.includes('<b>bold?</b>')) throw new Error('the note with markup is not shown as text');
    await page.screenshot({ path: path.join(shots, 'console-2-file.png'), fullPage: true });

    await page.fill('input[name=amount]', '50.00');
    await page.fill('input[name=date]', '2024-08-01');
    await page.click('#promise-form button[type=submit]');
    await page.locator('#arrangements').filter({ hasText: 'promise — open' }).waitFor();
    await page.locator('#timeline').filter({ hasText: 'promises 50.00 BRL by 2024-08-01' }).waitFor();
    await page.screenshot({ path: path.join(shots, 'console-3-promise.png'), fullPage: true });

    if (problems.length) throw new Error(`the page reported: ${problems.join('; ')}`);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().then(() => console.log('console: signed in, read the file, recorded a promise'),
            (e) => { console.error(e.stack || String(e)); process.exit(1); });
