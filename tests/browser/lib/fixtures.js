'use strict';
/**
 * The fixtures the browser tests share, each with one headless Chromium:
 * the example site built once and served by a plain static server, or a
 * temporary copy of it under `switchboard serve` (for the form). Call one at
 * the top of a test file; its hooks set up and tear down around the tests.
 */
const fs = require('node:fs');
const path = require('node:path');
const { before, after } = require('node:test');
const { launchBrowser } = require('./env');
const { buildExample, copyExample, removeUnlessKept } = require('./site');
const { serveStatic } = require('./static-server');
const { startServe } = require('./serve');
const { waitFor } = require('./poll');

/**
 * Registers the before/after hooks; the returned object's `site`, `server`
 * and `browser` are set once they ran. `options.languages` builds the
 * example in those languages (see `copyExample`).
 */
function useBuiltExample(options) {
  const example = { site: null, server: null, browser: null };
  before(async () => {
    example.site = buildExample(options);
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

/**
 * A copy of the example site under `switchboard serve`; the returned
 * object's `dir`, `server`, `manifest` (the routing manifest serve wrote)
 * and `browser` are set once the hooks ran.
 */
function useServedExample() {
  const served = { dir: null, server: null, manifest: null, browser: null };
  before(async () => {
    served.dir = copyExample();
    served.server = await startServe(served.dir);
    const manifestPath = path.join(served.dir, '.switchboard', 'routing.json');
    served.manifest = await waitFor('serve to write the routing manifest', () =>
      fs.existsSync(manifestPath) && JSON.parse(fs.readFileSync(manifestPath, 'utf8')));
    served.browser = await launchBrowser();
  });
  after(async () => {
    await served.browser?.close();
    await served.server?.stop();
    if (served.dir) removeUnlessKept(served.dir);
  });
  return served;
}

module.exports = { useBuiltExample, useServedExample };
