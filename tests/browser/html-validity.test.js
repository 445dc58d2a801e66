'use strict';
/**
 * Every HTML file the build writes, and the theme's CSS, through the Nu Html
 * Checker (vnu-jar from npm, run with the machine's Java): zero errors. The
 * example is built in four languages (one of them right to left), so every
 * page of every language tree is checked.
 * Warnings are printed for a reader but do not fail the test.
 */
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { buildExample, filesWithExt, TEST_LANGUAGES } = require('./lib/site');
const { vnu, isError, isFileOriginCspNote, formatMessages } = require('./lib/vnu');

let site;
before(() => { site = buildExample({ languages: TEST_LANGUAGES }); });
after(() => site?.cleanup());

function check(label, args, files) {
  assert.ok(files.length > 0, `no ${label} files found under ${site.publicDir}`);
  const messages = vnu(args, files);
  const errors = messages.filter(isError);
  const warnings = messages.filter((m) => !errors.includes(m) && !isFileOriginCspNote(m));
  console.log(`vnu: ${files.length} ${label} file(s), ${errors.length} error(s), ${warnings.length} warning(s)`);
  if (warnings.length) console.log(formatMessages(warnings, site.dir).replace(/^/gm, '# '));
  assert.equal(errors.length, 0, `the Nu Html Checker found ${errors.length} error(s):\n${formatMessages(errors, site.dir)}`);
}

test('every built HTML page is valid HTML (Nu Html Checker)', () => {
  const files = filesWithExt(site.publicDir, '.html');
  for (const lang of TEST_LANGUAGES.slice(1)) {
    for (const page of ['index.html', 'contact/index.html', 'contact/thanks/index.html', '404.html']) {
      assert.ok(files.some((f) => f.endsWith(`/${lang}/${page}`)), `no ${lang}/${page} was built`);
    }
  }
  check('HTML', [], files);
});

test('every built stylesheet is valid CSS (Nu Html Checker)', () => {
  check('CSS', ['--also-check-css'], filesWithExt(site.publicDir, '.css'));
});
