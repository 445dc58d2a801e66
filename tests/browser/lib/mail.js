'use strict';
/**
 * Reading the `.eml` files that `switchboard serve` files under the site's
 * `.switchboard/mail`: just enough of RFC 5322 (folded headers) and RFC 2047
 * (encoded words) to check who a message went to and what it is about.
 */
const fs = require('node:fs');
const path = require('node:path');

/** Every .eml under `dir` (any depth), parsed; [] while the folder does not exist. */
function readMailDir(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .filter((f) => String(f).endsWith('.eml'))
    .sort()
    .map((f) => ({ file: path.join(dir, String(f)), ...parseEml(fs.readFileSync(path.join(dir, String(f)), 'utf8')) }));
}

/** Headers (lower-cased names, decoded, values joined by ", " when repeated) and the raw text. */
function parseEml(raw) {
  const text = raw.replace(/\r\n/g, '\n');
  const end = text.indexOf('\n\n');
  const head = (end < 0 ? text : text.slice(0, end)).replace(/\n[ \t]+/g, ' ');
  const headers = {};
  for (const line of head.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = decodeWords(line.slice(i + 1).trim());
    headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  }
  return { headers, raw };
}

/** Decodes RFC 2047 encoded words (`=?utf-8?q?...?=`, `=?utf-8?b?...?=`). */
function decodeWords(value) {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset, enc, data) => {
      const bytes = enc.toLowerCase() === 'b'
        ? Buffer.from(data, 'base64')
        : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    });
}

/** The bare addresses in an address header (`"Name" <a@b>, c@d` -> ['a@b', 'c@d']). */
function addresses(header) {
  if (!header) return [];
  return [...header.matchAll(/<([^<>\s]+@[^<>\s]+)>|([^\s<>",;:]+@[^\s<>",;]+)/g)].map((m) => (m[1] || m[2]).toLowerCase());
}

/** Whether a parsed mail carries `text` in its raw form or in a decoded header. */
function mentions(mail, text) {
  return mail.raw.includes(text) || Object.values(mail.headers).some((v) => v.includes(text));
}

module.exports = { readMailDir, parseEml, decodeWords, addresses, mentions };
