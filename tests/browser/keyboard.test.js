'use strict';
/**
 * Keyboard only: a visitor reaches the form with Tab, sends it empty with
 * Enter, follows the error summary back to the first field, fills every
 * field by typing, and sends it with Enter, against `switchboard serve`.
 * At every step the focused element must show a visible focus indicator
 * (a computed outline or box-shadow), as WCAG 2.4.7 asks. Also the
 * directory search: type, Tab to a result, Enter.
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { waitFor } = require('./lib/poll');
const { useServedExample } = require('./lib/fixtures');
const { expectedRecipients } = require('./lib/routing');
const { paceLikeAPerson, assertRoutedMail } = require('./lib/form');

const served = useServedExample();

/** The focused element, and whether its focus indicator is drawn. */
function focusState(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { what: 'body', visible: false };
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return {
      what: `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.getAttribute('href') ? `[href=${el.getAttribute('href')}]` : ''}`,
      id: el.id,
      visible: Boolean(outline || shadow),
      style: `outline: ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}; box-shadow: ${s.boxShadow}`,
    };
  });
}

async function assertFocusVisible(page, step) {
  const f = await focusState(page);
  assert.ok(f.visible, `${step}: focus on ${f.what} is not visible (${f.style})`);
  return f;
}

/** Presses Tab until `id` has focus (at most `limit` times), checking focus at each stop. */
async function tabTo(page, id, limit = 40) {
  const path = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await assertFocusVisible(page, `Tab #${i + 1}`);
    path.push(f.what);
    if (f.id === id) return path;
  }
  throw new Error(`#${id} not reached after ${limit} Tabs: ${path.join(' → ')}`);
}

test('the form can be filled and sent with the keyboard alone, focus always visible', async () => {
  const expected = expectedRecipients(served.manifest, 'security');
  const visitor = 'alan.turing@example.org';
  const context = await served.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${served.server.url}/contact/`);
    const shownAt = Date.now();

    // The skip link comes first and is visible when focused.
    await page.keyboard.press('Tab');
    const first = await assertFocusVisible(page, 'first Tab');
    assert.match(first.what, /^a\[href=#main\]/, 'the first Tab stop is the skip link');

    // Sending the empty form: errors, and the summary takes (visible) focus.
    await tabTo(page, 'f-name');
    await page.keyboard.press('Enter');
    await waitFor('the error summary to take focus', async () => (await focusState(page)).id === 'form-errors');
    await assertFocusVisible(page, 'error summary');

    // Its first link leads back to the first field in error.
    await page.keyboard.press('Tab');
    await assertFocusVisible(page, 'first error link');
    await page.keyboard.press('Enter');
    assert.equal((await focusState(page)).id, 'f-name', 'the error link moves focus to its field');
    await assertFocusVisible(page, 'name field after the error link');

    await page.keyboard.type('Alan Turing');
    await tabTo(page, 'f-email', 1);
    await page.keyboard.type(visitor);
    await tabTo(page, 'f-phone', 1);
    await page.keyboard.type('+44 20 7946 0000');
    await tabTo(page, 'f-company', 1);
    await tabTo(page, 'f-topic', 1);
    for (let i = 0; i < 30 && (await page.locator('#f-topic').inputValue()) !== 'security'; i++) {
      await page.keyboard.press('ArrowDown');
    }
    assert.equal(await page.locator('#f-topic').inputValue(), 'security', 'the topic can be chosen with the arrow keys');
    await tabTo(page, 'f-message', 1);
    await page.keyboard.type('Sent with the keyboard alone: your reset link never expires.');

    // The next stop is the send button (the honeypot is out of the Tab order).
    await page.keyboard.press('Tab');
    const button = await assertFocusVisible(page, 'send button');
    assert.equal(await page.evaluate(() => document.activeElement.type), 'submit', `after the message, focus is on ${button.what}, not the send button`);
    await paceLikeAPerson(served.manifest, shownAt);
    await page.keyboard.press('Enter');

    const reference = await waitFor('the inline success message', async () => {
      const strong = page.locator('#form-status.ok strong');
      if (!(await strong.count())) throw new Error(`status says "${await page.locator('#form-status').textContent()}"`);
      return (await strong.textContent()).trim();
    });
    assert.equal((await focusState(page)).id, 'form-status', 'focus moves to the success message');
    await assertRoutedMail(served.dir, reference, expected, visitor);
  } finally {
    await context.close();
  }
});

test('the directory search works with the keyboard alone: type, Tab to a result, Enter lands on the person', async () => {
  const context = await served.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${served.server.url}/`);
    await waitFor('the filter to appear', () => page.locator('#directory-filter').isVisible());
    await tabTo(page, 'filter-q');
    await page.keyboard.type('Watanabe');
    await waitFor('a result', () => page.locator('#search-results-list a').first().isVisible());
    assert.match(await page.locator('#filter-status').textContent(), /found/, 'the status announces the results');
    // The result comes after the filter's fields: Tab through them to it.
    let f;
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      f = await assertFocusVisible(page, `Tab #${i + 1} after the search box`);
      if (/#contact-kenji-watanabe/.test(f.what)) break;
    }
    assert.match(f.what, /#contact-kenji-watanabe/, `focus reached ${f.what}, not the result`);
    await page.keyboard.press('Enter');
    await waitFor('the department page', () => page.url().endsWith('/departments/security/#contact-kenji-watanabe'));
    assert.ok(await page.locator('#contact-kenji-watanabe').isVisible());
  } finally {
    await context.close();
  }
});
