// Puzzle 17 — EventEmitter.emit calls listeners synchronously, inside
// whatever callback emits.
// Expected output:  before emit, listener, after emit
const { EventEmitter } = require('events');
const e = new EventEmitter();
e.on('ping', () => console.log('listener'));
setTimeout(() => {
  console.log('before emit');
  e.emit('ping');
  console.log('after emit');
}, 0);
