// EventEmitter calls its listeners synchronously
const { EventEmitter } = require('node:events');
const e = new EventEmitter();
e.on('ping', () => console.log('listener 1'));
e.on('ping', () => Promise.resolve().then(() => console.log('listener 2 promise')));
console.log('before emit');
e.emit('ping');
console.log('after emit');
