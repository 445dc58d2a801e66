'use strict';
/**
 * The fixture most browser tests share: the example site built once into a
 * temp folder, served by a plain static server, and one headless Chromium.
 * Call at the top of a test file; the hooks set up and tear down around it.
 */
const { before, after } = require('node:test');
const { launchBrowser } = require('./env');
const { buildExample } = require('./site');
const { serveStatic } = require('./static-server');

/** Registers the before/after hooks; the returned object's `site`, `server` and `browser` are set once they ran. */
function useBuiltExample() {
  const example = { site: null, server: null, browser: null };
  before(async () => {
    example.site = buildExample();
    example.server = await serveStatic(example.site.publicDir);
    example.browser = await launchBrowser();
  });
  after(async () => {
    await example.browser?.close();
    await example.server?.close();
    example.site?.cleanup();
  });
  return example;
}

module.exports = { useBuiltExample };
