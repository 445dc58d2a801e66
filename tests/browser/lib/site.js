'use strict';
/**
 * The example organisation (the repo root's content/), built into a fresh
 * temporary folder, so tests never touch the repo's public/ or .switchboard/
 * and can run while someone else builds in the repo.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO, switchboardBin } = require('./env');

/** The parts of the repo that make up the example site. */
const SITE_PARTS = ['content', 'static', 'templates', 'themes'];

/** The languages the multilingual browser tests build the example in: its
 *  own (English, the default, German and French) and Arabic, right to left. */
const TEST_LANGUAGES = ['en', 'de', 'fr', 'ar'];

/**
 * Copies the example site into a new temp folder; returns its path. With
 * `languages`, the copy's `[site]` lists them (replacing its `language` or
 * `languages` line), so it builds one tree per language.
 */
function copyExample({ languages } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-browser-'));
  for (const part of SITE_PARTS) {
    const from = path.join(REPO, part);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, part), { recursive: true });
  }
  if (languages) {
    const file = path.join(dir, 'content', 'site.toml');
    const toml = fs.readFileSync(file, 'utf8');
    const line = `languages = ${JSON.stringify(languages)}`;
    const next = toml.replace(/^languages\s*=.*$/m, line);
    fs.writeFileSync(file, next !== toml ? next : toml.replace(/^language\s*=.*$/m, line));
  }
  return dir;
}

/**
 * Copies and builds the example site. Returns its folders and a `cleanup`
 * for an `after` hook (kept when KEEP_BROWSER_TMP is set, for debugging).
 */
function buildExample(options) {
  const dir = copyExample(options);
  execFileSync(switchboardBin(), ['--root', dir, 'build'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    dir,
    publicDir: path.join(dir, 'public'),
    manifestPath: path.join(dir, '.switchboard', 'routing.json'),
    manifest: () => JSON.parse(fs.readFileSync(path.join(dir, '.switchboard', 'routing.json'), 'utf8')),
    cleanup: () => removeUnlessKept(dir),
  };
}

/**
 * A synthetic organisation (benches/synth-org.py: `departments` x `contacts`,
 * seed 1) built into a new temp folder; the same shape as buildExample's.
 */
function buildSynthetic(departments, contacts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-synth-'));
  execFileSync('python3', [path.join(REPO, 'benches', 'synth-org.py'), '--departments', String(departments),
    '--contacts', String(contacts), '--seed', '1', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync(switchboardBin(), ['--root', dir, 'build'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    dir,
    publicDir: path.join(dir, 'public'),
    manifest: () => JSON.parse(fs.readFileSync(path.join(dir, '.switchboard', 'routing.json'), 'utf8')),
    cleanup: () => removeUnlessKept(dir),
  };
}

function removeUnlessKept(dir) {
  if (process.env.KEEP_BROWSER_TMP) {
    console.log(`# kept ${dir}`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Every file under `dir` whose name ends with `ext`, as absolute paths, sorted. */
function filesWithExt(dir, ext) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(ext)) out.push(path.join(entry.parentPath ?? entry.path, entry.name));
  }
  return out.sort();
}

module.exports = { copyExample, buildExample, buildSynthetic, filesWithExt, removeUnlessKept, TEST_LANGUAGES };
