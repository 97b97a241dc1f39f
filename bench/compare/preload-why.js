'use strict';
// why-is-node-running, used the way its README says (first require), asked
// for its report when the run is ended with SIGINT (as `--duration` does).
const log = require('why-is-node-running');
process.on('SIGINT', () => {
  log({ error: (...a) => process.stderr.write(`[why] ${a.join(' ')}\n`) });
  process.exit(130);
});
