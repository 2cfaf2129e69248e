// What the browser tests share: Debian's Chromium (/usr/bin/chromium),
// headless, driven by playwright-core with a fresh profile each run, a page
// whose script errors fail the test, and screenshots into SHOTS.
'use strict';

const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

// Opens a page in a browser speaking `locale` with a window of `viewport`,
// runs `steps(page, shot)` on it, then fails if the page reported an
// error. shot(NAME, OPTIONS) writes SHOTS/NAME.png (OPTIONS as
// page.screenshot's, e.g. { fullPage: true }).
async function withPage({ shots, locale, viewport }, steps) {
  fs.mkdirSync(shots, { recursive: true });
  // A fresh profile each run: nothing carried over between tests.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'relance-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
    locale,
    viewport,
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    // Script errors and CSP refusals count; refused requests (401 before
    // signing in, a wrong password or code, the browser's own favicon) are
    // the page working.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    const shot = (name, options) => page.screenshot({ path: path.join(shots, `${name}.png`), ...options });

    await steps(page, shot);

    if (problems.length) throw new Error(`the page reported: ${problems.join('; ')}`);
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// Runs the test `main`: prints `done` when it passes, its error (and exits
// 1) when not.
function run(main, done) {
  main().then(() => console.log(done),
              (e) => { console.error(e.stack || String(e)); process.exit(1); });
}

function expect(what, text, re) {
  if (!re.test(text)) throw new Error(`${what}: ${JSON.stringify(text)} does not match ${re}`);
}

module.exports = { withPage, run, expect };
