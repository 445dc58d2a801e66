'use strict';
/**
 * The directory: the home page lists departments (the example keeps its
 * people off the home page with `[directory] people_on_home_page = 0`),
 * people are on their department pages and in the A–Z index (no JavaScript
 * needed), and with JavaScript the filter narrows the departments and
 * searches everyone through the search index, fetched only once the
 * visitor types. The same on a generated organisation of 200 departments
 * x 10, where the index is split into pages and the search into chunks.
 * Also: "open now" in each department's own time zone (fixed clock), and
 * email addresses that wrap at `@` and dots only.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { useBuiltExample } = require('./lib/fixtures');
const { buildSynthetic } = require('./lib/site');
const { serveStatic } = require('./lib/static-server');
const { waitFor } = require('./lib/poll');

const example = useBuiltExample();
let departments;
let large;
before(async () => {
  departments = example.site.manifest().departments.map((d) => d.id);
  const site = buildSynthetic(200, 10);
  large = { site, server: await serveStatic(site.publicDir) };
});
after(async () => {
  await large?.server.close();
  large?.site.cleanup();
});

const visibleIds = (page, selector) =>
  page.evaluate((sel) => [...document.querySelectorAll(sel)].filter((el) => el.checkVisibility()).map((el) => el.id), selector);

/** Every request the page makes for the search index, by path. */
function recordSearchRequests(page) {
  const seen = [];
  page.on('request', (req) => {
    const p = new URL(req.url()).pathname;
    if (p.startsWith('/search/')) seen.push(p);
  });
  return seen;
}

async function withPage(site, options, fn) {
  const context = await example.browser.newContext(options);
  try {
    await fn(await context.newPage(), site.server.url);
  } finally {
    await context.close();
  }
}

test('without JavaScript: every department on the home page, everyone in the A-Z index, each linked to their entry', async () => {
  await withPage(example, { javaScriptEnabled: false }, async (page, url) => {
    await page.goto(url + '/');
    assert.equal(await page.locator('#directory-filter').isVisible(), false, 'a filter that cannot work is not shown');
    assert.deepEqual((await visibleIds(page, 'section.department')).sort(), departments.map((d) => `dept-${d}`).sort());
    assert.equal(await page.locator('li.contact').count(), 0, 'people are on their department pages');

    await page.getByRole('link', { name: /^Everyone A–Z/ }).click();
    assert.equal(new URL(page.url()).pathname, '/people/');
    const contacts = example.site.manifest().contacts.map((c) => c.id);
    const links = await page.locator('.people-index a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.deepEqual(links.map((h) => h.split('#contact-')[1]).sort(), [...contacts].sort(), 'everyone, once');

    await page.getByRole('link', { name: /Kenji Watanabe/ }).click();
    assert.match(page.url(), /\/departments\/security\/#contact-kenji-watanabe$/);
    assert.ok(await page.locator('#contact-kenji-watanabe').isVisible(), 'the link lands on their entry');
  });
});

test('with JavaScript the filter narrows departments, and the search finds people from the fetched index', async () => {
  await withPage(example, {}, async (page, url) => {
    const fetched = recordSearchRequests(page);
    await page.goto(url + '/');
    await waitFor('the filter to appear', () => page.locator('#directory-filter').isVisible());
    assert.deepEqual(fetched, [], 'the index is not loaded before the visitor searches');

    await page.getByLabel('Name, role or department').fill('Watanabe');
    const result = page.locator('#search-results-list a');
    await waitFor('Kenji Watanabe among the results', async () => (await result.count()) === 1);
    assert.equal(await result.getAttribute('href'), './departments/security/#contact-kenji-watanabe');
    assert.match(await page.locator('#filter-status').textContent(), /1 found/, 'the result is announced in the status');
    assert.deepEqual(fetched, ['/search/all.json']);

    await page.getByLabel('Name, role or department').fill('');
    await page.getByLabel('Department', { exact: true }).selectOption('billing');
    await waitFor('only Billing to remain', async () =>
      JSON.stringify(await visibleIds(page, 'section.department')) === JSON.stringify(['dept-billing']));
    assert.equal(await page.locator('#search-results').isVisible(), false, 'no search results without a search');

    await page.getByLabel('Department', { exact: true }).selectOption('');
    await waitFor('every department to come back', async () => (await visibleIds(page, 'section.department')).length === departments.length);
  });
});

test('a large organisation: a small home page, the A-Z index in pages, the search from one chunk', async () => {
  const home = fs.statSync(path.join(large.site.publicDir, 'index.html')).size;
  console.log(`200 x 10: home page ${home} bytes of HTML`);
  assert.ok(home <= 100 * 1000, `the home page is ${home} bytes, over 100 KB`);

  await withPage(large, { javaScriptEnabled: false }, async (page, url) => {
    await page.goto(url + '/');
    assert.equal(await page.locator('section.department').count(), 40, 'the first 40 departments (the default)');
    assert.equal(await page.locator('li.contact').count(), 0);
    await page.getByRole('link', { name: /^Everyone A–Z/ }).click();
    const pages = page.locator('.index-pages a');
    assert.equal(await pages.count(), 10, '2,000 people in pages of 200');
    await pages.nth(3).click();
    assert.equal(new URL(page.url()).pathname, '/people/4/');
    assert.equal(await page.locator('.people-index a').count(), 200);
    const first = page.locator('.people-index a').first();
    const href = await first.getAttribute('href');
    await first.click();
    const id = href.split('#')[1];
    assert.ok(await page.locator(`#${id}`).isVisible(), `the link lands on ${id}`);
  });

  await withPage(large, {}, async (page, url) => {
    const fetched = recordSearchRequests(page);
    await page.goto(url + '/');
    await waitFor('the filter to appear', () => page.locator('#directory-filter').isVisible());
    await page.getByLabel('Name, role or department').fill('t');
    await waitFor('a hint to type more', async () => /two letters/.test(await page.locator('#filter-status').textContent()));
    assert.deepEqual(fetched, [], 'one letter loads nothing');
    await page.getByLabel('Name, role or department').fill('Tremblay');
    const results = page.locator('#search-results-list a');
    await waitFor('results', async () => (await results.count()) > 0);
    assert.deepEqual(fetched, ['/search/tr.json'], 'only the chunk of "tr"');
    const names = await results.allTextContents();
    assert.ok(names.every((n) => /Tremblay/.test(n)), `only Tremblays: ${names.slice(0, 5)}`);
    const person = page.locator('#search-results-list a[href*="#contact-"]').first();
    const href = await person.getAttribute('href');
    await person.click();
    await waitFor('the department page', () => page.url().endsWith(href.replace(/^\.\//, '')), { timeoutMs: 3000 }).catch((e) => { throw new Error(`${e.message}: at ${page.url()}, link ${href}`); });
    assert.ok(await page.locator(`#${href.split('#')[1]}`).isVisible());
  });
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

test('email addresses wrap only after @ and before dots, in a narrow card', async () => {
  await withPage(example, { viewport: { width: 320, height: 800 } }, async (page, url) => {
    await page.goto(url + '/departments/sales/');
    const breaks = await page.locator('.contact a[href^="mailto:"]').evaluateAll((links) => links.map((a) => {
      // The text as laid out: where a new line starts, by each character's top.
      const chars = [];
      for (const node of [...a.childNodes].filter((n) => n.nodeType === 3)) {
        for (let i = 0; i < node.length; i++) {
          const r = document.createRange();
          r.setStart(node, i); r.setEnd(node, i + 1);
          chars.push({ c: node.data[i], top: r.getBoundingClientRect().top });
        }
      }
      const at = [];
      for (let i = 1; i < chars.length; i++) if (chars[i].top > chars[i - 1].top + 2) at.push(chars[i - 1].c + '|' + chars[i].c);
      return { text: a.textContent, at };
    }));
    assert.ok(breaks.length > 0, 'the Sales page shows published addresses');
    assert.ok(breaks.some((b) => b.at.length > 0), `at 320 px some address wraps: ${JSON.stringify(breaks)}`);
    for (const b of breaks) {
      for (const where of b.at) assert.ok(/^@\||\|\.$/.test(where), `${b.text} wraps at ${where}`);
    }
  });
});
