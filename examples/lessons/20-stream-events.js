// Readable stream events
const { Readable } = require('node:stream');
const r = Readable.from(['one', 'two']);
r.on('data', (chunk) => console.log('data ' + chunk));
r.on('end', () => console.log('end'));
r.on('close', () => console.log('close'));
console.log('listeners attached');
