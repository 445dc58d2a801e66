'use strict';
/**
 * Every HTML file the build writes, and the theme's CSS, through the Nu Html
 * Checker (vnu-jar from npm, run with the machine's Java): zero errors.
 * Warnings are printed for a reader but do not fail the test.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const vnuJar = require('vnu-jar');
const { buildExample, filesWithExt } = require('./lib/site');

let site;
before(() => { site = buildExample(); });
after(() => site?.cleanup());

/** Runs vnu once over `files`; returns its messages (vnu reports JSON on stderr). */
function vnu(args, files) {
  const run = spawnSync('java', ['-jar', vnuJar, '--format', 'json', ...args, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.error) throw new Error(`could not run java (install a JRE: scripts/install-peers.sh): ${run.error.message}`);
  let report;
  try {
    report = JSON.parse(run.stderr);
  } catch {
    throw new Error(`vnu did not answer JSON (exit ${run.status}):\n${run.stderr}\n${run.stdout}`);
  }
  return report.messages;
}

/** `file:line:col: type: message` lines, relative to the site's folder. */
function format(messages) {
  return messages
    .map((m) => {
      const file = m.url ? path.relative(site.dir, new URL(m.url).pathname) : '?';
      const extract = m.extract ? `\n    ${m.extract.replace(/\n/g, ' ').trim()}` : '';
      return `  ${file}:${m.lastLine ?? m.firstLine ?? '?'}:${m.firstColumn ?? '?'}: ${m.subType || m.type}: ${m.message}${extract}`;
    })
    .join('\n');
}

/** vnu's CSP warnings on file: URLs ('self' is not file:) say nothing about a served site. */
const isFileOriginCspNote = (m) => m.type === 'info' && /Content Security Policy/.test(m.message);

function check(label, args, files) {
  assert.ok(files.length > 0, `no ${label} files found under ${site.publicDir}`);
  const messages = vnu(args, files);
  const errors = messages.filter((m) => m.type === 'error' || m.type === 'non-document-error');
  const warnings = messages.filter((m) => !errors.includes(m) && !isFileOriginCspNote(m));
  console.log(`vnu: ${files.length} ${label} file(s), ${errors.length} error(s), ${warnings.length} warning(s)`);
  if (warnings.length) console.log(format(warnings).replace(/^/gm, '# '));
  assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s):\n${format(errors)}`);
}

test('every built HTML page is valid HTML (Nu Html Checker)', () => {
  check('HTML', [], filesWithExt(site.publicDir, '.html'));
});

test('every built stylesheet is valid CSS (Nu Html Checker)', () => {
  check('CSS', ['--also-check-css'], filesWithExt(site.publicDir, '.css'));
});
