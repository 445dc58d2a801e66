'use strict';
/**
 * Where things are, and how to start the browser, for every browser test.
 *
 * The browser is Debian's Chromium (never one downloaded by Playwright), so
 * the suite runs on a fresh machine that can only reach package registries.
 */
const path = require('node:path');
const fs = require('node:fs');
const { chromium } = require('playwright-core');

const REPO = path.resolve(__dirname, '..', '..', '..');

/** The switchboard binary that test.sh built (SWITCHBOARD_BIN), else the debug one. */
function switchboardBin() {
  const bin = process.env.SWITCHBOARD_BIN || path.join(REPO, 'target', 'debug', 'switchboard');
  if (!fs.existsSync(bin)) {
    throw new Error(`switchboard binary not found at ${bin}: run \`cargo build\` or set SWITCHBOARD_BIN`);
  }
  return bin;
}

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Flags that keep a headless Chromium quiet: no sandbox (root in CI), no GPU, no calls home. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Launches headless Chromium; the caller closes it (an `after` hook). */
function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/install-peers.sh (apt-get install chromium)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

module.exports = { REPO, switchboardBin, launchBrowser, CHROMIUM };
