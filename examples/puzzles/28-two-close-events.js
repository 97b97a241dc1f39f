// Puzzle 28 — two 'close' events, two queues.  A socket emits 'close' from its
// handle's close callback, in the close phase (after the check phase, so
// after an immediate).  A net.Server emits 'close' from a process.nextTick
// once its handle is closed and no connection is left: before the immediate,
// although server.close() is called after setImmediate().
// Expected output:  closing both, server close, immediate, socket close
const net = require('net');
const server = net.createServer((socket) => {
  socket.on('close', () => console.log('socket close'));
  setImmediate(() => console.log('immediate'));
  socket.destroy();
  server.close(() => console.log('server close'));
  console.log('closing both');
});
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1');
  client.on('error', () => {}); // the server hangs up on it
});
