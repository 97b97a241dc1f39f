// Puzzle 24 — dns.lookup also uses the threadpool (getaddrinfo); its
// callback is an I/O callback.
// Expected output:  looking up, resolved localhost
const dns = require('dns');
dns.lookup('localhost', { family: 4 }, (err) => console.log(err ? `failed ${err.code}` : 'resolved localhost'));
console.log('looking up');
