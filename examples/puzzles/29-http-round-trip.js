// Puzzle 29 — an HTTP round trip.  Both the request handler and the response
// callback are I/O callbacks: the HTTP parser runs inside the socket's read
// (the client's 'response' is nested in the TCP read callback; the outermost
// dispatch decides).  The response's 'end' comes from a nextTick, and so does
// the server's 'close'.
// Expected output:  server got GET /hi, client got 200, body hello, server closed
const http = require('http');
const server = http.createServer((req, res) => {
  console.log('server got', req.method, req.url);
  res.end('hello');
});
server.listen(0, '127.0.0.1', () => {
  const options = { host: '127.0.0.1', port: server.address().port, path: '/hi', agent: false };
  http.get(options, (res) => {
    console.log('client got', res.statusCode);
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => { body += chunk; });
    res.on('end', () => {
      console.log('body', body);
      server.close(() => console.log('server closed'));
    });
  });
});
