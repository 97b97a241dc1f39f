// setImmediate against setTimeout, inside an I/O callback
const fs = require('node:fs');
fs.readFile(__filename, () => {
  console.log('file read');
  setTimeout(() => console.log('setTimeout 0'), 0);
  setImmediate(() => console.log('setImmediate'));
  process.nextTick(() => console.log('nextTick in I/O'));
});
console.log('reading');
