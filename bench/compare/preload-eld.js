'use strict';
// perf_hooks.monitorEventLoopDelay at 10 ms resolution, printed at the end.
const { monitorEventLoopDelay } = require('perf_hooks');
const h = monitorEventLoopDelay({ resolution: 10 });
h.enable();
const print = () => process.stderr.write(`[eld] max ${(h.max / 1e6).toFixed(1)} p99 ${(h.percentile(99) / 1e6).toFixed(1)}\n`);
process.on('exit', print);
process.on('SIGINT', () => { print(); process.exit(130); });
