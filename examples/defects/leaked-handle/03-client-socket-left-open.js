'use strict';
// DEFECT (leaked-handle): a client opens a TCP connection to a key-value
// service, reads one value and never ends the connection. The service here is
// an in-process mock that unrefs its server and every connection it accepts
// (so it never holds the process open itself); the client socket, still
// open and ref'd, is the only thing keeping the process alive. (Record it
// with `looptrace record --duration 2`.)
// Why it is a defect: a socket left open keeps the process running forever.
// Fix: client.end() (or client.destroy()) once the reply has arrived.
const net = require('net');

// The mock service: answers "GET key" with the value; unref'd on purpose.
const mock = net.createServer((conn) => {
  conn.unref();
  conn.setEncoding('utf8');
  conn.on('data', (line) => conn.write(line.startsWith('GET ') ? 'VALUE 42\n' : 'ERR\n'));
});
mock.unref();

mock.listen(0, '127.0.0.1', function fetchValue() {
  const client = net.connect(mock.address().port, '127.0.0.1');
  client.setEncoding('utf8');
  client.write('GET answer\n');
  client.once('data', (reply) => process.stdout.write(`got ${reply}`));
});
