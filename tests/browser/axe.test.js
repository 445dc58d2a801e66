'use strict';
/**
 * WCAG 2.2 A/AA with axe-core on the pages a visitor meets: the directory
 * (and its search results), the people index, the list of departments, a
 * department, the form, the form showing its errors, the thank-you page,
 * the 404 page. Each page is checked in the light and the dark colour
 * scheme, since the theme's colours (and so its contrast) change with
 * `prefers-color-scheme`, and in each language of a multilingual build
 * (English at `/`, German at `/de/`, French at `/fr/`, Arabic, right to
 * left, at `/ar/`).
 */
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { useBuiltExample } = require('./lib/fixtures');
const { TEST_LANGUAGES } = require('./lib/site');
const { axeViolations, formatViolations } = require('./lib/axe');
const { waitFor } = require('./lib/poll');

const example = useBuiltExample({ languages: TEST_LANGUAGES });

/** Opens `path` in a fresh page that records Content-Security-Policy violations. */
async function open(path, colorScheme) {
  const context = await example.browser.newContext({ colorScheme });
  const page = await context.newPage();
  page.cspErrors = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) page.cspErrors.push(msg.text());
  });
  const res = await page.goto(example.server.url + path);
  assert.equal(res.status(), 200, `GET ${path}`);
  return page;
}

/** Empty submit with JS on: the script must show inline errors and focus the summary. */
async function showFormErrors(page) {
  await page.click('form.contact-form button[type=submit]');
  await waitFor('the error summary to show and take focus', () =>
    page.evaluate(() => {
      const s = document.getElementById('form-errors');
      return s && !s.hidden && document.activeElement === s && s.querySelectorAll('li').length > 0;
    }),
  );
  const invalid = await page.locator('[aria-invalid=true]').count();
  assert.ok(invalid >= 4, `expected the required fields to be marked aria-invalid, got ${invalid}`);
}

/** A search on the home page, with its results listed and announced. */
async function showSearchResults(page) {
  await waitFor('the filter', () => page.locator('#directory-filter').isVisible());
  await page.fill('#filter-q', 'an');
  await waitFor('search results', () => page.locator('#search-results-list a').first().isVisible());
}

async function showReference(page) {
  await waitFor('the reference on the thank-you page', () => page.locator('#reference').isVisible());
}

const PAGES = [
  { name: 'home', path: '/' },
  { name: 'home with search results', path: '/', prepare: showSearchResults },
  { name: 'the people index', path: '/people/' },
  { name: 'the list of departments', path: '/departments/' },
  { name: 'a department page', path: '/departments/support/' },
  { name: 'a Markdown page', path: '/faq/' },
  { name: 'the contact form', path: '/contact/' },
  { name: 'the contact form with errors shown', path: '/contact/', prepare: showFormErrors },
  { name: 'the thank-you page', path: '/contact/thanks/?ref=HL-TEST-0001', prepare: showReference },
  { name: 'the 404 page', path: '404.html' },
];

for (const lang of TEST_LANGUAGES) {
  const prefix = lang === TEST_LANGUAGES[0] ? '/' : `/${lang}/`;
  for (const scheme of ['light', 'dark']) {
    for (const p of PAGES) {
      test(`axe WCAG 2.2 A/AA: ${p.name} (${lang}, ${scheme})`, async () => {
        const page = await open(prefix + p.path.replace(/^\//, ''), scheme);
        assert.equal(await page.getAttribute('html', 'lang'), lang);
        try {
          if (p.prepare) await p.prepare(page);
          const violations = await axeViolations(page);
          assert.equal(violations.length, 0, `axe found ${violations.length} violation(s) on ${prefix}${p.path.replace(/^\//, '')} (${scheme}):\n${formatViolations(violations)}`);
          assert.deepEqual(page.cspErrors, [], 'the page broke its own Content-Security-Policy');
        } finally {
          await page.context().close();
        }
      });
    }
  }
}
