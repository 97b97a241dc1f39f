// Puzzle 12 — stream.pipeline: chunks flow through the transform, the
// callback runs once everything has finished.
// Each chunk goes all the way through before the next one, and every step
// runs from a nextTick (stream internals), not from I/O.
// Expected output:  pipeline set up, transform x, write X, transform y, write Y, pipeline done
const { Readable, Transform, Writable, pipeline } = require('stream');
pipeline(
  Readable.from(['x', 'y']),
  new Transform({
    transform(chunk, enc, cb) { console.log('transform', String(chunk)); cb(null, String(chunk).toUpperCase()); },
  }),
  new Writable({
    write(chunk, enc, cb) { console.log('write', String(chunk)); cb(); },
  }),
  (err) => console.log(err ? `failed ${err.message}` : 'pipeline done'),
);
console.log('pipeline set up');
