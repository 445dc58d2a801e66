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
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { waitFor } = require('./lib/poll');
const { useServedExample } = require('./lib/fixtures');
const { expectedRecipients } = require('./lib/routing');
const { paceLikeAPerson, assertRoutedMail } = require('./lib/form');
const { addresses, readMailDir, mentions } = require('./lib/mail');
const { axeViolations, formatViolations } = require('./lib/axe');
const { vnu, isError, formatMessages } = require('./lib/vnu');

const served = useServedExample();

/** Fills the form the way a person would see it: by its labels. */
async function fill(page, { name, email, topic, message }) {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Topic').selectOption(topic);
  await page.getByLabel('Your message').fill(message);
}

test('with JavaScript: inline success with the reference, mail routed to the topic\'s contact', async () => {
  const expected = expectedRecipients(served.manifest, 'security');
  const visitor = 'ada.lovelace@example.org';
  const context = await served.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${served.server.url}/contact/`);
    const shownAt = Date.now();
    await fill(page, { name: 'Ada Lovelace', email: visitor, topic: 'security', message: 'Your login page leaks a session id in the URL (JS on).' });
    await paceLikeAPerson(served.manifest, shownAt);
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
    assert.equal(page.url(), `${served.server.url}/contact/`, 'JS keeps the visitor on the form page');
    assert.equal(await page.getByLabel('Your message').inputValue(), '', 'the sent form is cleared for a new message');

    await assertRoutedMail(served.dir, reference, expected, visitor);
  } finally {
    await context.close();
  }
});

test('without JavaScript: plain POST, 303 to the site\'s thank-you page with the reference on it, mail routed to the topic\'s contact', async () => {
  const expected = expectedRecipients(served.manifest, 'privacy');
  const visitor = 'grace.hopper@example.org';
  const context = await served.browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${served.server.url}/contact/`);
    const shownAt = Date.now();
    await fill(page, { name: 'Grace Hopper', email: visitor, topic: 'privacy', message: 'Please send me a copy of the data you hold about me (JS off).' });
    await paceLikeAPerson(served.manifest, shownAt);
    const posted = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send message' }).click();
    const res = await posted;
    assert.equal(res.status(), 303, `a plain form POST is answered with 303 (got ${res.status()})`);
    // The router's own thank-you page (the endpoint's address with the
    // reference): the site's template, the reference printed on it.
    await page.waitForURL((u) => u.searchParams.has('ref'));
    assert.match(await page.locator('h1').textContent(), /Thank you/);
    const reference = new URL(page.url()).searchParams.get('ref');
    assert.ok(reference, `the thank-you URL ${page.url()} carries the reference`);
    assert.equal((await page.locator('#reference-value').textContent()).trim(), reference, 'the page shows the reference');
    assert.ok(await page.locator('#reference').isVisible(), 'the reference line is shown without a script');
    assert.ok(await page.locator('link[rel=stylesheet]').evaluate((l) => l.sheet !== null), 'the site\'s stylesheet applies');

    await assertRoutedMail(served.dir, reference, expected, visitor);
    await waitFor(`the visitor's acknowledgement with reference ${reference}`, () =>
      readMailDir(path.join(served.dir, '.switchboard', 'mail')).some((m) => mentions(m, reference) && addresses(m.headers.to).includes(visitor)));
  } finally {
    await context.close();
  }
});

test('without JavaScript, a submission the router refuses gets an accessible, valid page that keeps what was typed', async () => {
  const context = await served.browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(`${served.server.url}/contact/`);
    const shownAt = Date.now();
    await fill(page, { name: 'Grace Hopper', email: 'grace.hopper@example.org', topic: 'privacy', message: 'Keep this text.' });
    // An address the browser's own check would stop: lift its checks (as an
    // old browser would lack them) so the router has to answer the mistake.
    await page.getByLabel('Email address').evaluate((el) => { el.type = 'text'; });
    await page.getByLabel('Email address').fill('not an address');
    await paceLikeAPerson(served.manifest, shownAt);
    const posted = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Send message' }).click();
    const res = await posted;
    assert.ok(res.status() >= 400 && res.status() < 500, `a refused submission is answered with 4xx (got ${res.status()})`);
    const html = await res.text();
    assert.match(res.headers()['content-type'] || '', /text\/html/, 'a plain form gets an HTML answer');

    assert.equal(await page.getByLabel('Your name').inputValue().catch(() => null), 'Grace Hopper', 'the name is kept');
    assert.ok(html.includes('Keep this text.'), 'the message is kept');

    // axe needs timers, which do not run in a page without JavaScript: check
    // the same answer, at the same address, in a page that has them.
    const checker = await served.browser.newPage();
    let violations;
    try {
      await checker.route(res.url(), (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
      await checker.goto(res.url());
      violations = await axeViolations(checker);
    } finally {
      await checker.close();
    }
    assert.equal(violations.length, 0, `axe found ${violations.length} violation(s) on the router's error page:\n${formatViolations(violations)}`);

    const file = path.join(served.dir, 'router-error-page.html');
    fs.writeFileSync(file, html);
    const errors = vnu([], [file]).filter(isError);
    assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s) in the router's error page:\n${formatMessages(errors, served.dir)}`);
  } finally {
    await context.close();
  }
});
