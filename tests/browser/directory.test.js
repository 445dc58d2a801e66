'use strict';
/**
 * The directory's two enhancements, and what remains without them: the
 * client-side filter (hidden without JS, where the full list shows) and
 * "open now", computed in the department's own time zone whatever the
 * visitor's. The clock is fixed so the answer does not depend on when the
 * test runs.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { useBuiltExample } = require('./lib/fixtures');
const { waitFor } = require('./lib/poll');

const example = useBuiltExample();
let departments;
before(() => {
  departments = example.site.manifest().departments.map((d) => d.id);
});

const visibleIds = (page, selector) =>
  page.evaluate((sel) => [...document.querySelectorAll(sel)].filter((el) => el.checkVisibility()).map((el) => el.id), selector);

test('without JavaScript the filter is hidden and every department and contact is listed', async () => {
  const context = await example.browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    await page.goto(example.server.url + '/');
    assert.equal(await page.locator('#directory-filter').isVisible(), false, 'a filter that cannot work is not shown');
    assert.deepEqual((await visibleIds(page, 'section.department')).sort(), departments.map((d) => `dept-${d}`).sort());
    const contacts = example.site.manifest().contacts.map((c) => `contact-${c.id}`).sort();
    assert.deepEqual((await visibleIds(page, 'li.contact')).sort(), contacts);
  } finally {
    await context.close();
  }
});

test('with JavaScript the filter narrows the directory by name and by department, and announces it', async () => {
  const context = await example.browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(example.server.url + '/');
    await waitFor('the filter to appear', () => page.locator('#directory-filter').isVisible());

    await page.getByLabel('Name, role or department').fill('Watanabe');
    await waitFor('only Kenji Watanabe to remain', async () =>
      JSON.stringify(await visibleIds(page, 'li.contact')) === JSON.stringify(['contact-kenji-watanabe']));
    assert.notEqual((await page.locator('#filter-status').textContent()).trim(), '', 'the result is announced in the status');

    await page.getByLabel('Name, role or department').fill('');
    await page.getByLabel('Department', { exact: true }).selectOption('billing');
    await waitFor('only Billing to remain', async () =>
      JSON.stringify(await visibleIds(page, 'section.department')) === JSON.stringify(['dept-billing']));

    await page.getByLabel('Department', { exact: true }).selectOption('');
    await waitFor('every department to come back', async () => (await visibleIds(page, 'section.department')).length === departments.length);
  } finally {
    await context.close();
  }
});

test('open now is computed in each department\'s time zone, not the visitor\'s', async () => {
  // Monday 23 Nov 2026, 09:00 UTC: 10:00 in Berlin (Sales open 08:30-12:30),
  // 04:00 in Toronto (Support opens at 07:00). The visitor is in Tokyo.
  const context = await example.browser.newContext({ timezoneId: 'Asia/Tokyo' });
  try {
    await context.clock.setFixedTime(new Date('2026-11-23T09:00:00Z'));
    const page = await context.newPage();
    await page.goto(example.server.url + '/');
    const status = (id) => page.locator(`#dept-${id} .open-status`);
    await waitFor('the open-now status to show', () => status('sales').isVisible());
    assert.match(await status('sales').textContent(), /^Open now/, 'Sales (Berlin, 10:00) is open');
    assert.match(await status('support').textContent(), /^Closed now/, 'Support (Toronto, 04:00) is closed');
    assert.equal(await page.locator('#dept-security .open-status').count(), 0, 'Security keeps no hours, so it has no open-now status');
  } finally {
    await context.close();
  }
});
