// Puzzle 14 — a TCP round trip on loopback: who runs when.  Surprise: Node
// emits 'listening', 'end' and the server's 'close' from nextTick callbacks;
// only 'connect' and 'data' come straight from I/O.
// Expected output:  listening, client connected, server got ping, client got pong, client ended, server closed
const net = require('net');
const server = net.createServer((socket) => {
  socket.on('data', (d) => {
    console.log('server got', String(d));
    socket.end('pong');
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log('listening');
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    console.log('client connected');
    client.write('ping');
  });
  client.on('data', (d) => console.log('client got', String(d)));
  client.on('end', () => {
    console.log('client ended');
    server.close(() => console.log('server closed'));
  });
});
