'use strict';
// DEFECT (leaked-handle): a development helper watches its own source file
// with fs.watch to "hot reload" when it changes, and never closes the
// watcher. The watcher is a ref'd handle, so the process never exits, even
// after its work is done. (Record it with `looptrace record --duration 2`.)
// Why it is a defect: an fs.watch watcher left open keeps the process alive.
// Fix: watcher.close() when watching is no longer needed (or watcher.unref(),
// or fs.watch(file, { persistent: false }, ...)).
const fs = require('fs');

let reloads = 0;

function watchForChanges(file) {
  fs.watch(file, function onChange() {
    reloads++;
  });
}

watchForChanges(__filename);
setTimeout(() => console.log(`build done, ${reloads} reloads`), 10);
