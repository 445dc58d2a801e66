'use strict';
/**
 * The example built in four languages (English at `/`, German at `/de/`,
 * French at `/fr/`, Arabic, right to left, at `/ar/`): the language switcher lands on the same
 * page in the other language; the page's script speaks the page's language;
 * Arabic pages mirror the layout without scrolling sideways. Screenshots of
 * each language's home page at 320 px and desktop width go to
 * target/screenshots/.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('./lib/env');
const { useBuiltExample } = require('./lib/fixtures');
const { TEST_LANGUAGES } = require('./lib/site');
const { waitFor } = require('./lib/poll');

const OUT = path.join(REPO, 'target', 'screenshots');
const SIZES = [
  { name: '320', viewport: { width: 320, height: 640 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
];
const prefixOf = (lang) => (lang === TEST_LANGUAGES[0] ? '/' : `/${lang}/`);

const example = useBuiltExample({ languages: TEST_LANGUAGES });
before(() => {
  fs.mkdirSync(OUT, { recursive: true });
});

async function withPage(options, fn) {
  const context = await example.browser.newContext(options);
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}

for (const page of ['', 'contact/', 'departments/support/', 'faq/']) {
  test(`the language switcher lands on the same page: /${page}`, async () => {
    await withPage({}, async (tab) => {
      for (const from of TEST_LANGUAGES) {
        for (const to of TEST_LANGUAGES.filter((l) => l !== from)) {
          await tab.goto(example.server.url + prefixOf(from) + page);
          const current = tab.locator('nav.languages a[aria-current="true"]');
          assert.equal(await current.getAttribute('hreflang'), from);
          await tab.locator(`nav.languages a[hreflang="${to}"]`).click();
          await tab.waitForURL(example.server.url + prefixOf(to) + page);
          assert.equal(await tab.getAttribute('html', 'lang'), to, `${from} -> ${to} on /${page}`);
          assert.equal(await tab.getAttribute('html', 'dir'), to === 'ar' ? 'rtl' : 'ltr');
        }
      }
    });
  });
}

test('the script speaks the page language: form errors in German', async () => {
  await withPage({}, async (tab) => {
    await tab.goto(example.server.url + '/de/contact/');
    await tab.click('form.contact-form button[type=submit]');
    await waitFor('the error summary', () => tab.locator('#form-errors li').first().isVisible());
    const summary = await tab.locator('#form-errors').innerText();
    assert.match(summary, /Geben Sie Ihren Namen ein\./, summary);
    assert.doesNotMatch(summary, /Enter your name/, summary);
  });
});

test('the languages people speak are named in the page language', async () => {
  await withPage({ javaScriptEnabled: false }, async (tab) => {
    await tab.goto(example.server.url + '/de/departments/sales/');
    const reach = await tab.locator('.dept-reach').first().innerText();
    assert.match(reach, /Deutsch, Englisch, Französisch/, 'named by the build, no script needed: ' + reach);
  });
  await withPage({}, async (tab) => {
    await tab.goto(example.server.url + '/de/');
    await waitFor('the filter to show', () => tab.locator('#directory-filter').isVisible());
    assert.equal((await tab.locator('#filter-lang option[value="de"]').textContent()).trim(), 'Deutsch');
    await tab.goto(example.server.url + '/');
    assert.equal((await tab.locator('#filter-lang option[value="de"]').textContent()).trim(), 'German');
  });
});

test('Arabic pages mirror the layout: the brand sits at the right', async () => {
  await withPage({ viewport: { width: 1280, height: 800 } }, async (tab) => {
    await tab.goto(example.server.url + '/ar/');
    const brand = await tab.locator('.brand').boundingBox();
    assert.ok(brand.x > 640, `the brand starts at x=${brand.x}, expected the right half`);
    await tab.goto(example.server.url + '/');
    const ltr = await tab.locator('.brand').boundingBox();
    assert.ok(ltr.x < 640, `the English brand starts at x=${ltr.x}`);
  });
});

for (const lang of TEST_LANGUAGES) {
  for (const size of SIZES) {
    test(`home page screenshot in ${lang} at ${size.name}`, async () => {
      await withPage({ viewport: size.viewport }, async (tab) => {
        await tab.goto(example.server.url + prefixOf(lang));
        await tab.evaluate(() => document.querySelectorAll('img[loading=lazy]').forEach((i) => { i.loading = 'eager'; }));
        await tab.waitForFunction(() => [...document.images].every((i) => i.complete));
        const { scrollWidth, clientWidth } = await tab.evaluate(() => ({
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
        }));
        assert.ok(scrollWidth <= clientWidth, `${lang} scrolls sideways at ${size.viewport.width} px (${scrollWidth} > ${clientWidth})`);
        const file = path.join(OUT, `home-${lang}-${size.name}.png`);
        await tab.screenshot({ path: file, fullPage: true });
        assert.ok(fs.statSync(file).size > 10000, `${file} is suspiciously small`);
        console.log(`screenshot: ${path.relative(REPO, file)}`);
      });
    });
  }
}
