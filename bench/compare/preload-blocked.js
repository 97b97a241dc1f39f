'use strict';
// blocked-at with the same threshold as looptrace's default (50 ms).
require('blocked-at')((ms, stack) => {
  process.stderr.write(`[blocked-at] ${Math.round(ms)} ms ${stack.join(' <- ')}\n`);
}, { threshold: 50 });
