'use strict';
/**
 * Shared steps for the tests that send the contact form through
 * `switchboard serve` and then look for the routed mail.
 */
const assert = require('node:assert/strict');
const path = require('node:path');
const { waitFor } = require('./poll');
const { readMailDir, addresses, mentions } = require('./mail');

/**
 * The router refuses a form sent faster than `min_fill_seconds` after the
 * page (or its time token) was made, as a bot would. A test fills the form
 * in milliseconds, so it paces itself to that floor before sending. This is
 * a required delay, not a wait for something to happen.
 */
async function paceLikeAPerson(manifest, shownAt) {
  const floorMs = (manifest.form.min_fill_seconds + 0.5) * 1000;
  const left = shownAt + floorMs - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
}

/**
 * Waits for the routed notification carrying `reference` in the site's
 * `.switchboard/mail` and checks it went to `expected.to`, copied to
 * `expected.cc`, with Reply-To the visitor and the reference in the subject.
 */
async function assertRoutedMail(siteDir, reference, expected, visitorEmail) {
  const dir = path.join(siteDir, '.switchboard', 'mail');
  const mails = await waitFor(`a mail with reference ${reference} in ${dir}`, () => {
    const found = readMailDir(dir).filter((m) => mentions(m, reference));
    return found.some((m) => addresses(m.headers.to).some((a) => expected.to.includes(a))) && found;
  }, { timeoutMs: 15000 });
  const notification = mails.find((m) => addresses(m.headers.to).some((a) => expected.to.includes(a)));
  const what = `the notification ${notification.file}`;
  assert.deepEqual(addresses(notification.headers.to), expected.to, `${what}: To`);
  for (const cc of expected.cc) assert.ok(addresses(notification.headers.cc).includes(cc), `${what}: Cc should include ${cc}`);
  assert.deepEqual(addresses(notification.headers['reply-to']), [visitorEmail], `${what}: Reply-To the visitor`);
  assert.ok((notification.headers.subject || '').includes(reference), `${what}: subject "${notification.headers.subject}" should carry ${reference}`);
  // No other mail with this reference went to anyone but the visitor, the contact or the inbox.
  const allowed = new Set([...expected.to, ...expected.cc, visitorEmail]);
  for (const m of mails) {
    for (const a of [...addresses(m.headers.to), ...addresses(m.headers.cc), ...addresses(m.headers.bcc)]) {
      assert.ok(allowed.has(a), `${m.file} went to ${a}, who should not receive topic mail for ${expected.to}`);
    }
  }
  return { notification, mails };
}

module.exports = { paceLikeAPerson, assertRoutedMail };
