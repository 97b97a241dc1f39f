// Puzzle 11 — a Readable emits 'data' and 'end' asynchronously, even for
// data that is already there: from nextTick callbacks (resume_, endReadableNT).
// Expected output:  attached, data a, data b, end
const { Readable } = require('stream');
const r = new Readable({ read() {} });
r.push('a');
r.push('b');
r.push(null);
r.on('data', (chunk) => console.log('data', String(chunk)));
r.on('end', () => console.log('end'));
console.log('attached');
