'use strict';
// The work a pool thread does: derives a key for one account (PBKDF2,
// ~10 ms of CPU), or fails for an account that has no password set.
const crypto = require('node:crypto');

module.exports = function deriveKey({ account, password, rounds }) {
  if (!password) throw new Error(`account ${account} has no password`);
  const key = crypto.pbkdf2Sync(password, `salt:${account}`, rounds, 32, 'sha256');
  return { account, key: key.toString('hex') };
};
