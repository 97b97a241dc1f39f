'use strict';
// An independent oracle for the puzzles' expected queues.  Loaded with
// `node --require label.js puzzle.js`, it labels every stdout line with the
// queue of the outermost callback running when it was written, using
// async_hooks with Node's own promise tracking on (slow, and it changes
// nothing in the order of output).  It shares no code with looptrace.
//
// Queue of the outermost running resource (by its async_hooks type):
//   none running and the main module not finished  -> main
//   TickObject -> nextTick; PROMISE, Microtask -> microtask
//   Timeout -> timer; Immediate -> immediate
//   a handle whose fd is gone while its callback runs -> close (libuv runs a
//     handle's close callback after closing its fd: Node's net.Socket emits
//     'close' from that callback)
//   anything else (fs, net, dns, crypto requests and handles) -> io
// Lines written with nothing running after the main module are what V8 runs
// without a hook (a thenable's then job): microtask.
// Output: LABEL_OUT=<file> gets "<queue>\t<line>" per line.
const async_hooks = require('async_hooks');
const fs = require('fs');

const out = process.env.LABEL_OUT;
const types = new Map();
const resources = new Map();
const running = [];
let mainDone = false;
const labels = [];

async_hooks.createHook({
  init(id, type, trigger, resource) {
    types.set(id, type);
    resources.set(id, resource);
  },
  before(id) { running.push(id); },
  after() { running.pop(); },
  destroy(id) { types.delete(id); resources.delete(id); },
}).enable();

process.nextTick(() => { mainDone = true; });

function queueOf() {
  if (running.length === 0) return mainDone ? 'microtask' : 'main';
  const id = running[0];
  const type = types.get(id);
  switch (type) {
    case 'TickObject': return 'nextTick';
    case 'PROMISE': case 'Microtask': return 'microtask';
    case 'Timeout': return 'timer';
    case 'Immediate': return 'immediate';
    default: {
      const r = resources.get(id);
      try {
        if (r && typeof r.fd === 'number' && r.fd < 0) return 'close';
      } catch { /* not a stream handle */ }
      return 'io';
    }
  }
}

let pending = '';
const realWrite = process.stdout.write;
process.stdout.write = function write(chunk, ...rest) {
  const queue = queueOf();
  pending += String(chunk);
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    labels.push(`${queue}\t${pending.slice(0, nl)}`);
    pending = pending.slice(nl + 1);
  }
  return realWrite.call(this, chunk, ...rest);
};

process.on('exit', () => {
  if (out) fs.writeFileSync(out, labels.map((l) => `${l}\n`).join(''));
});
