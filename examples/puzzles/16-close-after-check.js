// Puzzle 16 — close callbacks run in the close phase, after the check phase:
// an immediate scheduled after destroy() still runs first.
// Expected output:  destroying, immediate, socket closed
const net = require('net');
const server = net.createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1', () => {
  const socket = net.connect(server.address().port, '127.0.0.1', () => {
    socket.on('close', () => {
      console.log('socket closed');
      server.close();
    });
    console.log('destroying');
    socket.destroy();
    setImmediate(() => console.log('immediate'));
  });
});
