'use strict';
/**
 * vCards (through Python's vobject) and JSON-LD (through Python's json),
 * compared with the content TOML: see check_standards.py. Wrapped here so
 * its result counts with the rest of the browser suite.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { REPO } = require('./lib/env');
const { buildExample } = require('./lib/site');

/** The peers' virtualenv (scripts/install-peers.sh installs vobject there). */
const PYTHON = process.env.PEERS_PYTHON || path.join(REPO, 'target', 'peers-venv', 'bin', 'python');

let site;
before(() => { site = buildExample(); });
after(() => site?.cleanup());

test('vCards, JSON-LD and unpublished addresses match the content (vobject, json)', () => {
  assert.ok(fs.existsSync(PYTHON), `${PYTHON} missing: run scripts/install-peers.sh`);
  const run = spawnSync(PYTHON, [path.join(__dirname, 'check_standards.py'), site.dir], { encoding: 'utf8' });
  if (run.error) throw run.error;
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(run.stdout);
  assert.ok(summary, `check_standards.py printed no summary (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  console.log(`check_standards.py: ${summary[0]}`);
  assert.ok(Number(summary[1]) > 50, `suspiciously few checks ran: ${summary[0]}`);
  assert.equal(run.status, 0, `check_standards.py failed:\n${run.stdout}${run.stderr}`);
});
