'use strict';
// label.js — an independent oracle for the queue of every line a puzzle
// prints.  It shares no code with looptrace and uses nothing but Node's public
// async_hooks API.
//
//   LABEL_OUT=out.txt node --require /abs/path/tests/labeller/label.js puzzle.js
//
// writes one "<queue>\t<line>" per stdout line to out.txt (the format of
// examples/puzzles/*.expected) and prints nothing of its own on stdout.
//
// How a line gets its queue
// -------------------------
// An async_hooks hook with init/before/after (enabling it turns on Node's own
// promise tracking, so promise reactions get before/after too) keeps the
// stack of callbacks running right now: `before` pushes the async id, `after`
// pops it.  When the program writes to stdout, the line belongs to the
// OUTERMOST entry of that stack — the dispatch the event loop (or the tick /
// microtask drain) started; anything it calls synchronously, nested
// MakeCallback scopes included, is part of that dispatch.  The innermost entry
// is checked against executionAsyncResource() so that a hook that missed a
// before/after shows up as a '?' line instead of a wrong label.
//
// The outermost entry's async_hooks type gives the queue:
//   TickObject                      -> nextTick   (process.nextTick)
//   PROMISE, Microtask              -> microtask  (promise reactions, await
//       continuations, async generator steps, queueMicrotask; also the job
//       that calls a thenable's then(): V8 runs it with the promise being
//       resolved as the hook's resource, so it shows up as PROMISE too)
//   Timeout                         -> timer      (setTimeout, setInterval)
//   Immediate                       -> immediate  (setImmediate)
//   a handle closed before the callback began -> close  (see below)
//   any other type (FSREQCALLBACK, FSREQPROMISE, TCPWRAP, TCPSERVERWRAP,
//       TCPCONNECTWRAP, PIPEWRAP, GETADDRINFOREQWRAP, RANDOMBYTESREQUEST,
//       WRITEWRAP, SHUTDOWNWRAP, ZLIB, PROCESSWRAP, SIGNALWRAP, ...) -> io
//       HTTPINCOMINGMESSAGE is io too: the server's HTTP parser runs in C++
//       straight off the socket's read, so its callbacks are outermost.  The
//       client's parser runs inside the socket's JS 'data' listener, so there
//       the stack is [TCPWRAP, HTTPCLIENTREQUEST] and TCPWRAP decides.
// While the main module runs:
//   nothing running and execution async id 1 -> main; an AsyncResource that
//   main enters synchronously (runInAsyncScope) is part of main as well
//   anything else -> '?' (and a note on stderr): 'exit'/'beforeExit'
//       listeners and 'unhandledRejection' handlers run outside any
//       dispatch, and none of the seven queues fits them.
//
// Close callbacks (what was checked on Node 20, lib/net.js + src/handle_wrap.cc)
// ------------------------------------------------------------------------------
// libuv runs a handle's close callback in the close phase of the loop, after
// the check phase.  Node's HandleWrap::OnClose then calls the handle object's
// onclose with MakeCallback, i.e. with before/after on the HANDLE's own async
// id (a socket's 'close' is reported as TCPWRAP, the same type as its reads).
// What tells them apart: a handle's close() has been called before its close
// callback can run, and libuv delivers no other callback for a handle once
// uv_close() was called.  So the labeller wraps HandleWrap.prototype.close
// (shared by TCP, Pipe, TTY, UDP, Process, Signal, FSEvent handles) and
// labels a dispatch whose resource was an already-closed handle when the
// dispatch began `close` (checked at `before`, not at the write: a
// 'connection' listener that calls server.close() is still io).
// Observed on Node 20:
//   - net.Socket 'close' is emitted from the handle's close callback
//     (Socket._destroy: this._handle.close(() => this.emit('close'))): close.
//   - net.Server 'close' is NOT a close callback: Server.close() closes the
//     handle without a callback and emits 'close' from
//     process.nextTick(emitCloseNT) once no connection is left: nextTick.
//   - 'listening', 'end', 'finish' and stream 'close' for handle-less streams
//     are emitted via process.nextTick as well: nextTick.
//
// Limitations
// -----------
// - A write or shutdown request cancelled by uv_close() completes from the
//   close phase but is reported as its own WRITEWRAP/SHUTDOWNWRAP: io.
// - An 'uncaughtException' listener is labelled with the dispatch that threw
//   (Node runs it before that dispatch's after hooks).
// - Lines written by the program's own 'exit' listeners come after the
//   labeller's 'exit' listener wrote LABEL_OUT: they are missing from it
//   (make-expected.sh reports that as labels not covering the output).
// - Only writes through process.stdout.write are seen (not fs.writeSync(1)).
// - The main module must be CommonJS (main = `process.mainModule` not loaded).
// - A line assembled from writes made in different queues is labelled '?'.
const async_hooks = require('async_hooks');
const fs = require('fs');

const out = process.env.LABEL_OUT;
const types = new Map();      // async id -> async_hooks type
const resources = new Map();  // async id -> resource
const closed = new WeakSet(); // handles whose close() has been called
const running = [];           // dispatches in progress, outermost first: { id, queue }
const labels = [];
let handleProto = null;

function note(msg) {
  fs.writeSync(2, `label.js: ${msg}\n`);
}

// Wrap HandleWrap.prototype.close the first time a handle is created.
function watchClose(resource) {
  if (handleProto || resource === null || typeof resource !== 'object') return;
  let p = Object.getPrototypeOf(resource);
  while (p && !Object.prototype.hasOwnProperty.call(p, 'close')) p = Object.getPrototypeOf(p);
  if (!p || !p.constructor || p.constructor.name !== 'HandleWrap') return;
  handleProto = p;
  const realClose = p.close;
  p.close = function close(...args) {
    closed.add(this);
    return realClose.apply(this, args);
  };
}

function mainModuleRunning() {
  const m = process.mainModule;
  return m !== undefined && !m.loaded;
}

// The queue of a callback that is about to start.  Decided when it begins:
// a callback that itself calls close() on its handle (server.close() in a
// 'connection' listener) is still not a close callback.
function queueAtBefore(id) {
  // An AsyncResource entered synchronously by the main module
  // (runInAsyncScope) is part of main, not a dispatch of its own.
  if (mainModuleRunning()) return 'main';
  switch (types.get(id)) {
    case 'TickObject': return 'nextTick';
    case 'PROMISE': case 'Microtask': return 'microtask';
    case 'Timeout': return 'timer';
    case 'Immediate': return 'immediate';
    case undefined: note(`before() of unknown async id ${id}`); return '?';
    default: return closed.has(resources.get(id)) ? 'close' : 'io';
  }
}

async_hooks.createHook({
  init(id, type, trigger, resource) {
    types.set(id, type);
    resources.set(id, resource);
    watchClose(resource);
  },
  before(id) {
    // Only the outermost entry's queue is ever used.
    running.push({ id, queue: running.length === 0 ? queueAtBefore(id) : null });
  },
  after(id) {
    let at = running.length - 1;
    while (at >= 0 && running[at].id !== id) at -= 1;
    if (at >= 0) running.length = at; // drops stale entries too, if any
  },
  destroy(id) { types.delete(id); resources.delete(id); },
}).enable();

function queueOf() {
  if (running.length === 0) {
    if (mainModuleRunning() && async_hooks.executionAsyncId() === 1) return 'main';
    note(`a write with no callback running (execution async id ${async_hooks.executionAsyncId()})`);
    return '?';
  }
  const inner = running[running.length - 1].id;
  if (resources.get(inner) !== async_hooks.executionAsyncResource()) {
    note(`hook stack out of step: innermost ${inner} (${types.get(inner)}), executing ${async_hooks.executionAsyncId()}`);
    return '?';
  }
  return running[0].queue;
}

// stdout: a line is labelled with the queue of the write that started it.
let pending = '';
let pendingQueue = null;
const realWrite = process.stdout.write;
process.stdout.write = function write(chunk, ...rest) {
  const queue = queueOf();
  let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  while (text.length > 0) {
    if (pendingQueue === null) pendingQueue = queue;
    else if (pendingQueue !== queue) pendingQueue = '?';
    const nl = text.indexOf('\n');
    if (nl < 0) { pending += text; break; }
    labels.push(`${pendingQueue}\t${pending}${text.slice(0, nl)}`);
    pending = '';
    pendingQueue = null;
    text = text.slice(nl + 1);
  }
  return realWrite.call(this, chunk, ...rest);
};

process.on('exit', () => {
  if (pendingQueue !== null) labels.push(`${pendingQueue}\t${pending}`);
  if (out) fs.writeFileSync(out, labels.map((l) => `${l}\n`).join(''));
});
