'use strict';
/**
 * Screenshots of the home page at 320 px (the narrowest phone the theme
 * supports) and at desktop width, in light and dark, written to
 * target/screenshots/ so anyone can look at what a visitor sees. At each
 * width the page must not scroll sideways.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { REPO, launchBrowser } = require('./lib/env');
const { buildExample } = require('./lib/site');
const { serveStatic } = require('./lib/static-server');

const OUT = path.join(REPO, 'target', 'screenshots');
const SIZES = [
  { name: '320', viewport: { width: 320, height: 640 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
];

let site, server, browser;
before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  site = buildExample();
  server = await serveStatic(site.publicDir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  site?.cleanup();
});

for (const scheme of ['light', 'dark']) {
  for (const size of SIZES) {
    test(`home page screenshot at ${size.name} (${scheme})`, async () => {
      const context = await browser.newContext({ viewport: size.viewport, colorScheme: scheme });
      try {
        const page = await context.newPage();
        await page.goto(server.url + '/');
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
