'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { slugify } = require('../src/slug');

test('lower-cases and joins words', () => assert.strictEqual(slugify('Hello World'), 'hello-world'));
test('drops accents', () => assert.strictEqual(slugify('Crème Brûlée'), 'creme-brulee'));
test('trims separators', () => assert.strictEqual(slugify('  --Node.js 24!-- '), 'node-js-24'));
