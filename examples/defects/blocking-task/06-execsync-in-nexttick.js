'use strict';
// DEFECT (blocking-task): a library initialises itself in a process.nextTick
// callback and probes an external tool with child_process.execSync. The shell
// command takes ~150 ms and the whole process waits for it: the loop is
// frozen until the child exits.
// Why it is a defect: the nextTick dispatch holds the loop for more than
// 50 ms (a private, synchronous wait for the child).
// Fix: use child_process.execFile / exec with a callback (or
// util.promisify(exec)) so the loop keeps running while the child works.
const { execSync } = require('child_process');
const EventEmitter = require('events');

class ToolProbe extends EventEmitter {
  constructor() {
    super();
    process.nextTick(function probeTool(self) {
      const version = execSync('sleep 0.15; echo 1.4.2').toString().trim();
      self.emit('ready', version);
    }, this);
  }
}

new ToolProbe().on('ready', (version) => console.log(`tool version ${version}`));
