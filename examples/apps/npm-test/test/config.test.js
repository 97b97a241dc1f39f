'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { loadConfig, DEFAULTS } = require('../src/config');

test('merges file and environment over defaults', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-test-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'app.json');
  fs.writeFileSync(file, JSON.stringify({ logLevel: 'debug', features: ['beta'] }));
  const config = await loadConfig(file, { PORT: '9000' });
  assert.deepStrictEqual(config, { ...DEFAULTS, port: 9000, logLevel: 'debug', features: ['beta'] });
});
test('rejects a broken file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-test-config-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'bad.json'), '{ nope');
  await assert.rejects(loadConfig(path.join(dir, 'bad.json')), SyntaxError);
});
