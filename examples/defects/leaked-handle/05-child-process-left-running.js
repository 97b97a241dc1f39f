'use strict';
// DEFECT (leaked-handle): the program starts a log follower (`tail -f`) as a
// child process, uses it for nothing more, and never kills it. Node keeps a
// handle on every running child, so the parent never exits. (Record it with
// `looptrace record --duration 2`.)
// `--pid` makes tail exit by itself within a second of this process dying, so
// the corpus leaves no orphan behind; the leak is that Node waits for it.
// Why it is a defect: a child process left running keeps the parent alive.
// Fix: follower.kill() when done (or follower.unref() for a detached helper).
const { spawn } = require('child_process');

function startLogFollower(file) {
  return spawn('tail', ['-n', '0', '-f', `--pid=${process.pid}`, file], { stdio: 'ignore' });
}

const follower = startLogFollower(__filename);
follower.once('spawn', () => console.log('follower started'));
