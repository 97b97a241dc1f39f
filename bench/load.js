'use strict';
// Load for bench/load.sh: creates promises for SECONDS at RATE promises/s
// (0: as fast as it can), in chains of .then calls, and writes one line to
// stdout per 1000 promises.  Prints its own counts at the end:
//   promises N writes W seconds S
// (W includes that last line: the trace's output rows plus the writes the
// trace reports lost must equal it).
const fs = require('fs');
const seconds = +(process.argv[2] || 5);
const rate = +(process.argv[3] || 0);
let promises = 0, writes = 0;
const inc = (x) => x + 1;
const t0 = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - t0) / 1e9;
function step(n) {
  let p = Promise.resolve(0);
  for (let i = 0; i < n; i++) p = p.then(inc);
  promises += n + 1;
  return p;
}
(async () => {
  let t;
  while ((t = elapsed()) < seconds) {
    let n = 1000;
    if (rate > 0) {
      const due = Math.floor(t * rate) - promises;
      if (due < 1000) { await new Promise((r) => setImmediate(r)); continue; }
      n = Math.min(due, 100000);
    }
    await step(n);
    fs.writeSync(1, `p ${promises}\n`);
    writes++;
  }
  writes++;
  fs.writeSync(1, `promises ${promises} writes ${writes} seconds ${elapsed().toFixed(3)}\n`);
})();
