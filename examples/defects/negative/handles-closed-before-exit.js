'use strict';
// NEGATIVE (looks like leaked-handle, is not): the program opens every kind
// of handle the leaked-handle examples leak - a TCP server, a client socket,
// an fs.watch watcher and a child process - and closes each one when its
// work is done: socket ended, server closed, watcher closed, child waited
// for. The process exits by itself with status 0.
// Why it is fine: no handle is open at the end.
const net = require('net');
const fs = require('fs');
const { spawn } = require('child_process');

const watcher = fs.watch(__filename, () => {});

const server = net.createServer((conn) => {
  conn.setEncoding('utf8');
  conn.on('data', () => conn.end('VALUE 42\n'));
});

server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.setEncoding('utf8');
  client.write('GET answer\n');
  client.once('data', (reply) => {
    process.stdout.write(`got ${reply}`);
    client.end();
    server.close();
  });
});

const child = spawn('sleep', ['0.05'], { stdio: 'ignore' });
child.on('exit', (code) => {
  console.log(`child exited with ${code}`);
  watcher.close();
});
