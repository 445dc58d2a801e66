'use strict';
/**
 * What the home page costs a visitor: every request it makes stays on the
 * site's own origin (no CDN, web font or tracker), and its HTML + CSS + JS
 * stay within a small budget. The total is printed for the record.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { launchBrowser } = require('./lib/env');
const { buildExample } = require('./lib/site');
const { serveStatic } = require('./lib/static-server');

/** Bytes of HTML + CSS + JS the home page may load (uncompressed). */
const BUDGET = 100 * 1024;

let site, server, browser;
before(async () => {
  site = buildExample();
  server = await serveStatic(site.publicDir);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.close();
  site?.cleanup();
});

test('the home page loads only from its own origin, within its byte budget', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const requests = [];
    page.on('requestfinished', (req) => requests.push(req));
    page.on('requestfailed', (req) => requests.push(req));
    await page.goto(server.url + '/', { waitUntil: 'networkidle' });

    const foreign = requests.map((r) => r.url()).filter((u) => !u.startsWith(server.url) && !u.startsWith('data:'));
    assert.deepEqual(foreign, [], 'the home page made requests to other origins');

    const bytes = { document: 0, stylesheet: 0, script: 0, other: 0 };
    for (const req of requests) {
      const res = await req.response();
      if (!res) continue;
      const size = (await res.body()).length;
      const kind = req.resourceType() in bytes ? req.resourceType() : 'other';
      bytes[kind] += size;
    }
    const total = bytes.document + bytes.stylesheet + bytes.script;
    console.log(`home page: ${total} bytes of HTML+CSS+JS (HTML ${bytes.document}, CSS ${bytes.stylesheet}, JS ${bytes.script}); other ${bytes.other} bytes; ${requests.length} requests`);
    assert.ok(bytes.document > 0 && bytes.stylesheet > 0 && bytes.script > 0, `expected HTML, CSS and JS: ${JSON.stringify(bytes)}`);
    assert.ok(total <= BUDGET, `HTML+CSS+JS is ${total} bytes, over the ${BUDGET}-byte budget`);
  } finally {
    await context.close();
  }
});
