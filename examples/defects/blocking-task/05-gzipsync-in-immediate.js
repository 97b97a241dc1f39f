'use strict';
// DEFECT (blocking-task): an upload of 8 MB arrives (simulated with the async
// crypto.randomBytes) and a setImmediate callback archives it with
// zlib.gzipSync. Compressing megabytes synchronously takes ~150 ms on the
// main thread.
// Why it is a defect: the immediate callback holds the loop for more than
// 50 ms.
// Fix: use the asynchronous zlib.gzip (runs on the thread pool) or a
// zlib.createGzip() stream.
const crypto = require('crypto');
const zlib = require('zlib');

crypto.randomBytes(8 << 20, function received(err, upload) {
  if (err) throw err;
  setImmediate(function archiveUpload() {
    const gz = zlib.gzipSync(upload);
    console.log(`archived ${upload.length} bytes (gzip ${gz.length > upload.length ? 'grew' : 'shrank'})`);
  });
});
