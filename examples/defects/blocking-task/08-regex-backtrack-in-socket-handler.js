'use strict';
// DEFECT (blocking-task): a TCP line server validates each user name with the
// regular expression /^([a-z0-9]+\s?)*$/. For an input such as
// "aaaaaaaaaaaaaaaaaaaaaaa!" the nested quantifiers make V8 backtrack
// exponentially: one test() call takes ~250 ms inside the 'data' handler.
// Why it is a defect: the socket callback holds the loop for more than 50 ms
// (and an attacker controls how long: ReDoS).
// Fix: a regex without nested quantifiers, e.g. /^[a-z0-9]+(\s[a-z0-9]+)*\s?$/,
// plus a length limit on the input.
const net = require('net');

const USERNAME = /^([a-z0-9]+\s?)*$/;

const server = net.createServer((socket) => {
  socket.setEncoding('utf8');
  socket.on('data', function onUsername(text) {
    const valid = USERNAME.test(text.trim());
    socket.end(valid ? 'ok\n' : 'invalid user name\n');
  });
});

server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.setEncoding('utf8');
  client.end('aaaaaaaaaaaaaaaaaaaaaaa!\n');
  client.on('data', (reply) => process.stdout.write(`server says: ${reply}`));
  client.on('close', () => server.close());
});
