'use strict';
/**
 * `switchboard serve --port 0` on a copy of the example site: the dev server
 * with the router mounted, as an editor runs it. The server is killed when
 * the test file ends, and also if the test process exits early.
 */
const { spawn } = require('node:child_process');
const { switchboardBin } = require('./env');
const { waitFor } = require('./poll');

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts the server for `siteDir`; resolves to { url, output(), stop() }
 * once it has printed the address it listens on.
 */
async function startServe(siteDir, { timeoutMs = 30000 } = {}) {
  const child = spawn(switchboardBin(), ['--root', siteDir, 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  running.add(child);
  let out = '';
  let exited = null;
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  child.on('exit', (code, signal) => { exited = { code, signal }; running.delete(child); });

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    try {
      await waitFor('switchboard serve to exit', () => exited, { timeoutMs: 5000 });
    } catch {
      child.kill('SIGKILL');
    }
  };

  try {
    const url = await waitFor('switchboard serve to print its address', () => {
      if (exited) throw new Error(`switchboard serve exited (${JSON.stringify(exited)}):\n${out}`);
      const m = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):\d+/.exec(out);
      return m && m[0];
    }, { timeoutMs });
    return { url, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

module.exports = { startServe };
