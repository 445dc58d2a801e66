'use strict';
/**
 * Screenshots of the home page at 320 px (the narrowest phone the theme
 * supports) and at desktop width, in light and dark, written to
 * target/screenshots/ so anyone can look at what a visitor sees. At each
 * width the page must not scroll sideways.
 */
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO } = require('./lib/env');
const { useBuiltExample } = require('./lib/fixtures');

const OUT = path.join(REPO, 'target', 'screenshots');
const SIZES = [
  { name: '320', viewport: { width: 320, height: 640 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
];

const example = useBuiltExample();
before(() => {
  fs.mkdirSync(OUT, { recursive: true });
});

for (const scheme of ['light', 'dark']) {
  for (const size of SIZES) {
    test(`home page screenshot at ${size.name} (${scheme})`, async () => {
      const context = await example.browser.newContext({ viewport: size.viewport, colorScheme: scheme });
      try {
        const page = await context.newPage();
        await page.goto(example.server.url + '/');
        // Lazy photos below the fold would show as holes in a full-page shot.
        await page.evaluate(() => document.querySelectorAll('img[loading=lazy]').forEach((i) => { i.loading = 'eager'; }));
        await page.waitForFunction(() => [...document.images].every((i) => i.complete));
        const overflow = await page.evaluate(() => {
          const wide = [...document.querySelectorAll('body *')]
            .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .slice(0, 5)
            .map((el) => el.outerHTML.slice(0, 80));
          return { scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth, wide };
        });
        assert.ok(overflow.scrollWidth <= overflow.clientWidth,
          `the page scrolls sideways at ${size.viewport.width} px (${overflow.scrollWidth} > ${overflow.clientWidth}); too wide:\n  ${overflow.wide.join('\n  ')}`);
        const file = path.join(OUT, `home-${size.name}-${scheme}.png`);
        await page.screenshot({ path: file, fullPage: true });
        assert.ok(fs.statSync(file).size > 10000, `${file} is suspiciously small`);
        console.log(`screenshot: ${path.relative(REPO, file)}`);
      } finally {
        await context.close();
      }
    });
  }
}
