'use strict';
// Password hashing for the sign-up service (PBKDF2, 400k rounds).
const crypto = require('node:crypto');
const { promisify } = require('node:util');

const defect = process.env.APP_DEFECT || '';
const pbkdf2 = promisify(crypto.pbkdf2);

async function hashPassword(password, salt) {
  if (defect === 'blocking') {
    return crypto.pbkdf2Sync(password, salt, 400000, 32, 'sha512').toString('hex'); // looptrace-expect(blocking): blocking-task warning
  }
  return (await pbkdf2(password, salt, 400000, 32, 'sha512')).toString('hex');
}

async function verifyPassword(password, salt, expected) {
  const actual = Buffer.from(await hashPassword(password, salt), 'hex');
  return crypto.timingSafeEqual(actual, Buffer.from(expected, 'hex'));
}
module.exports = { hashPassword, verifyPassword };
