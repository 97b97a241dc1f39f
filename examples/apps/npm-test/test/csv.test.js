'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { parseLine, parse } = require('../src/csv');

test('splits plain fields', () => assert.deepStrictEqual(parseLine('a,b,,c'), ['a', 'b', '', 'c']));
test('keeps commas and quotes inside quotes', () => {
  assert.deepStrictEqual(parseLine('"x, y","say ""hi"""'), ['x, y', 'say "hi"']);
});
test('maps rows to the header', () => {
  assert.deepStrictEqual(parse('id,name\n1,ada\n2,bob\n'), [{ id: '1', name: 'ada' }, { id: '2', name: 'bob' }]);
});
