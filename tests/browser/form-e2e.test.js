'use strict';
/**
 * The contact form end to end, as a visitor sends it, against
 * `switchboard serve --port 0` on a temporary copy of the example site:
 * with JavaScript (fetch; inline success with the reference in a live
 * region) and without (a plain POST answered by 303 to the thank-you page).
 * Each ends with the routed .eml in the copy's .switchboard/mail, addressed
 * to the contact the manifest names for the chosen topic.
 *
 * Both topics belong to the security department, which keeps no business
 * hours, so the recipient does not depend on when the test runs.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { launchBrowser } = require('./lib/env');
const { copyExample, removeUnlessKept } = require('./lib/site');
const { startServe } = require('./lib/serve');
const { waitFor } = require('./lib/poll');
const { expectedRecipients } = require('./lib/routing');
const { paceLikeAPerson, assertRoutedMail } = require('./lib/form');
const { addresses, readMailDir, mentions } = require('./lib/mail');

let dir, server, browser, manifest;

before(async () => {
  dir = copyExample();
  server = await startServe(dir);
  const manifestPath = path.join(dir, '.switchboard', 'routing.json');
  manifest = await waitFor('serve to write the routing manifest', () =>
    fs.existsSync(manifestPath) && JSON.parse(fs.readFileSync(manifestPath, 'utf8')));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir) removeUnlessKept(dir);
});

/** Fills the form the way a person would see it: by its labels. */
async function fill(page, { name, email, topic, message }) {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Topic').selectOption(topic);
  await page.getByLabel('Your message').fill(message);
}

test('with JavaScript: inline success with the reference, mail routed to the topic\'s contact', async () => {
  const expected = expectedRecipients(manifest, 'security');
  const visitor = 'ada.lovelace@example.org';
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/contact/`);
    const shownAt = Date.now();
    await fill(page, { name: 'Ada Lovelace', email: visitor, topic: 'security', message: 'Your login page leaks a session id in the URL (JS on).' });
    await paceLikeAPerson(manifest, shownAt);
    const posted = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send message' }).click();
    const res = await posted;
    assert.equal(res.status(), 200, `POST answered ${res.status()}: ${await res.text()}`);

    const status = page.locator('#form-status');
    assert.equal(await status.getAttribute('aria-live'), 'polite', 'the status is a live region');
    const reference = await waitFor('the inline success message', async () => {
      const strong = page.locator('#form-status.ok strong');
      if (!(await strong.count())) throw new Error(`status says "${await status.textContent()}"`);
      return (await strong.textContent()).trim();
    });
    assert.match(await status.textContent(), /Thank you/);
    assert.equal(page.url(), `${server.url}/contact/`, 'JS keeps the visitor on the form page');
    assert.equal(await page.getByLabel('Your message').inputValue(), '', 'the sent form is cleared for a new message');

    await assertRoutedMail(dir, reference, expected, visitor);
  } finally {
    await context.close();
  }
});

test('without JavaScript: plain POST, 303 to the thank-you page, mail routed to the topic\'s contact', async () => {
  const expected = expectedRecipients(manifest, 'privacy');
  const visitor = 'grace.hopper@example.org';
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/contact/`);
    const shownAt = Date.now();
    await fill(page, { name: 'Grace Hopper', email: visitor, topic: 'privacy', message: 'Please send me a copy of the data you hold about me (JS off).' });
    await paceLikeAPerson(manifest, shownAt);
    const posted = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send message' }).click();
    const res = await posted;
    assert.equal(res.status(), 303, `a plain form POST is answered with 303 (got ${res.status()})`);
    await page.waitForURL((u) => u.pathname === manifest.site.thank_you_path);
    assert.match(await page.locator('h1').textContent(), /Thank you/);

    // A static page cannot print a query parameter without a script: the
    // reference reaches a visitor without JavaScript in the address and in
    // the acknowledgement mail, both checked here.
    const reference = new URL(page.url()).searchParams.get('ref');
    assert.ok(reference, `the thank-you URL ${page.url()} carries the reference`);

    await assertRoutedMail(dir, reference, expected, visitor);
    await waitFor(`the visitor's acknowledgement with reference ${reference}`, () =>
      readMailDir(path.join(dir, '.switchboard', 'mail')).some((m) => mentions(m, reference) && addresses(m.headers.to).includes(visitor)));
  } finally {
    await context.close();
  }
});
