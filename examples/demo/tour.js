'use strict';
// A tour of the event loop: one program that touches every queue.
// Predict the output, then run:  looptrace record -- node tour.js
//                                looptrace replay looptrace.db
const fs = require('fs');
const net = require('net');

console.log('1. main: the script itself runs to completion first');

setTimeout(function onTimer() {
  console.log('5. timer: the timers phase of the first iteration');
}, 0);

setImmediate(function onImmediate() {
  console.log('6. immediate: the check phase, after poll');
});

Promise.resolve().then(function onPromise() {
  console.log('4. microtask: promise reactions run after nextTicks');
});

process.nextTick(function onTick() {
  console.log('3. nextTick: before any promise reaction');
});

fs.readFile(__filename, function onRead(err, data) {
  if (err) throw err;
  console.log(`7. io: readFile finished (${data.length} bytes) in the poll phase`);
  setImmediate(() => console.log('8. immediate: scheduled from io, so it beats any timer'));
  setTimeout(() => console.log('9. timer: scheduled from io, next iteration'), 0);

  const server = net.createServer((socket) => socket.end('pong'));
  server.listen(0, '127.0.0.1', function onListening() {
    const client = net.connect(server.address().port, '127.0.0.1');
    client.on('data', (chunk) => console.log(`10. io: the client received "${chunk}"`));
    client.on('close', () => {
      console.log('11. close: the socket closed');
      server.close(() => console.log('12. the server closed: nothing keeps the loop alive'));
    });
  });
});

console.log('2. main: still the script; nothing async has run yet');
