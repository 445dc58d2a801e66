'use strict';
/**
 * The Nu Html Checker (vnu-jar from npm) run with the machine's Java, and
 * its findings formatted as `file:line:col: type: message` lines.
 */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const vnuJar = require('vnu-jar');

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

const isError = (m) => m.type === 'error' || m.type === 'non-document-error';

/** vnu's CSP warnings on file: URLs ('self' is not file:) say nothing about a served site. */
const isFileOriginCspNote = (m) => m.type === 'info' && /Content Security Policy/.test(m.message);

/** `file:line:col: type: message` lines, with paths relative to `baseDir`. */
function formatMessages(messages, baseDir) {
  return messages
    .map((m) => {
      const file = m.url ? path.relative(baseDir, new URL(m.url).pathname) : '?';
      const extract = m.extract ? `\n    ${m.extract.replace(/\n/g, ' ').trim()}` : '';
      return `  ${file}:${m.lastLine ?? m.firstLine ?? '?'}:${m.firstColumn ?? '?'}: ${m.subType || m.type}: ${m.message}${extract}`;
    })
    .join('\n');
}

module.exports = { vnu, isError, isFileOriginCspNote, formatMessages };
