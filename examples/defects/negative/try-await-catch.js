'use strict';
// NEGATIVE (looks like unhandled-rejection, is not): an async function awaits
// a call that rejects after a timer, inside try/catch. The await attaches the
// handler as soon as the promise exists, so the rejection is handled in time.
// The same goes for Promise.reject() returned to an awaiting caller.
// Why it is fine: every rejected promise has a handler before Node checks.

function fetchToken(stored) {
  if (!stored) return Promise.reject(new Error('no API token to refresh'));
  return new Promise((resolve) => setTimeout(() => resolve('tok-2'), 5));
}

async function loadReport(name) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new Error(`report ${name} is not ready`);
}

async function main() {
  try {
    await loadReport('q3');
  } catch (err) {
    console.log(`report failed: ${err.message}`);
  }
  try {
    await fetchToken(null);
  } catch (err) {
    console.log(`token failed: ${err.message}`);
  }
}

main();
