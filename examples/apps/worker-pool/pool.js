'use strict';
// Re-keys a batch of accounts on a piscina worker pool (2 threads): each
// key derivation runs on a pool thread, the main thread only hands out jobs,
// reports progress (a MessageChannel the threads could post on) and checks
// the results.  Ends by destroying the pool.
//
// APP_DEFECT turns one planted defect on (the marked lines); without it the
// same job does the right thing.
const crypto = require('node:crypto');
const path = require('node:path');
const { MessageChannel } = require('node:worker_threads');
const { Piscina } = require('piscina');

const defect = process.env.APP_DEFECT || '';
const ROUNDS = 60000;

async function rekey(pool, accounts) {
  if (defect === 'sequential') {
    const keys = [];
    for (const account of accounts) {
      keys.push(await pool.run({ account, password: `pw-${account}`, rounds: ROUNDS })); // looptrace-expect(sequential): sequential-await warning
    }
    return keys;
  }
  return Promise.all(accounts.map((account) => pool.run({ account, password: `pw-${account}`, rounds: ROUNDS })));
}

function selfCheck(keys) {
  // Re-derives one key to check the pool's output.
  const { account, key } = keys[0];
  if (defect === 'blocking') {
    // ...with 15 times the rounds, on the main thread.
    const strong = crypto.pbkdf2Sync(`pw-${account}`, `salt:${account}`, ROUNDS * 15, 32, 'sha256'); // looptrace-expect(blocking): blocking-task warning
    return strong.length === 32 && key.length === 64;
  }
  return key.length === 64;
}

async function main() {
  const pool = new Piscina({ filename: path.join(__dirname, 'task.js'), minThreads: 2, maxThreads: 2 });
  const progress = new MessageChannel(); // looptrace-expect(leak): leaked-handle warning
  let done = 0;
  progress.port1.on('message', (n) => { done += n; });
  const accounts = Array.from({ length: 16 }, (_, i) => `acct-${i}`);
  const keys = await rekey(pool, accounts);
  progress.port2.postMessage(keys.length);
  const audit = { disabled: 0 };
  if (defect === 'rejection') {
    // A disabled account has no password: the task throws, nobody catches.
    pool.run({ account: 'acct-disabled', password: '', rounds: ROUNDS }).then((k) => keys.push(k)); // looptrace-expect(rejection): unhandled-rejection error
  } else {
    await pool.run({ account: 'acct-disabled', password: '', rounds: ROUNDS }).then((k) => keys.push(k), () => { audit.disabled++; });
  }
  const ok = selfCheck(keys);
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log(`worker-pool: ${keys.length} keys, self-check ${ok ? 'ok' : 'FAILED'}, ${audit.disabled} disabled`);
  await pool.destroy();
  if (defect === 'leak') {
    // The progress port was never closed and kept the process alive: ended by force.
    process.exit(0);
  }
  progress.port1.close();
}

main();
