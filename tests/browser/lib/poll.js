'use strict';
/**
 * Polling with a deadline: tests wait for a condition, never for a fixed
 * time, so they are as fast as the machine allows and fail with a reason.
 */

/**
 * Calls `probe` until it returns a truthy value (which is returned) or the
 * deadline passes (then throws, naming `what` and the last error seen).
 */
async function waitFor(what, probe, { timeoutMs = 10000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { waitFor };
