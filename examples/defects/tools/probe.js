'use strict';
// Measurement probe used by tools/verify.js (not part of the corpus itself).
//   PROBE_OUT=/tmp/x.json node --require ./tools/probe.js prog.js
// Writes, at exit (or at SIGINT when PROBE_SIGINT=1, then dies of SIGINT as
// before), a JSON summary measured with plain Node and performance.now():
//   dispatches  top-level callbacks that ran >= 5 ms: type, ms, creation line
//   main_ms     the main script's own dispatch
//   awaits      per program line: promises created there whose reaction ran
//               (await continuations), each as [created, resumed] in ms
//   handles     live, ref'd handles at the end: type and creation line
//   rejections  'unhandledRejection' / 'rejectionHandled' events seen
// It wraps process.emit to watch rejections (like looptrace's agent) and adds
// no listener, so exit status and crash behaviour stay those of the program.
const async_hooks = require('async_hooks');
const fs = require('fs');
const path = require('path');
const { performance } = require('perf_hooks');

const OUT = process.env.PROBE_OUT;
const script = path.resolve(process.argv[1] || '');
const t0 = performance.now();
const res = new Map(); // asyncId -> {type, line, t, ref: WeakRef}
const HANDLE_TYPES = new Set(['Timeout', 'TCPSERVERWRAP', 'TCPWRAP', 'FSEVENTWRAP', 'PROCESSWRAP',
  'PIPEWRAP', 'PIPESERVERWRAP', 'UDPWRAP', 'SIGNALWRAP', 'TTYWRAP', 'STATWATCHER']);
const dispatches = [];
const awaits = {}; // line -> [[created ms, resumed ms], ...]
const rejections = [];
let mainMs = null;
let depth = 0;
let beginT = 0;
let beginId = 0;

// The program line that created a resource: the first stack frame in the
// program's file. `top` says whether that frame is the innermost JS frame.
function siteOf() {
  const saved = Error.stackTraceLimit;
  Error.stackTraceLimit = 30;
  const stack = new Error().stack.split('\n').slice(1).filter((l) => !l.includes(__filename) && !l.includes('node:internal/async_hooks'));
  Error.stackTraceLimit = saved;
  for (let i = 0; i < stack.length; i++) {
    const m = /\((.*):(\d+):\d+\)$|at (.*):(\d+):\d+$/.exec(stack[i]);
    if (m && (m[1] || m[3]) === script) return { line: Number(m[2] || m[4]), top: i === 0 };
  }
  return null;
}

async_hooks.createHook({
  init(id, type, trigger, resource) {
    const site = siteOf();
    // Created where no program frame is on the stack (e.g. a server handle
    // made in a nextTick after the address lookup): inherit the trigger's.
    const inherited = !site && res.get(trigger);
    res.set(id, { type, line: site ? site.line : inherited ? inherited.line : null, top: !!(site && site.top), t: performance.now(),
      ref: HANDLE_TYPES.has(type) ? new WeakRef(resource) : null });
  },
  before(id) {
    const r = res.get(id);
    if (r && r.type === 'PROMISE' && r.top && r.line) {
      (awaits[r.line] = awaits[r.line] || []).push([+(r.t - t0).toFixed(2), +(performance.now() - t0).toFixed(2)]);
      r.top = false;
    }
    if (depth++ === 0) { beginT = performance.now(); beginId = id; }
  },
  after(id) {
    if (--depth > 0) return;
    depth = 0;
    const ms = performance.now() - beginT;
    if (ms >= 5) {
      const r = res.get(beginId) || {};
      dispatches.push({ type: r.type || '?', ms: +ms.toFixed(1), line: r.line || null });
    }
  },
  destroy(id) { res.delete(id); },
}).enable();

process.nextTick(() => { mainMs = +(performance.now() - t0).toFixed(1); });

const realEmit = process.emit;
process.emit = function emit(name, a, b) {
  if (name === 'unhandledRejection' || name === 'rejectionHandled') {
    const reason = name === 'unhandledRejection' ? a : undefined;
    rejections.push({ event: name, t: +(performance.now() - t0).toFixed(1),
      reason: reason instanceof Error ? `${reason.name}: ${reason.message}` : reason === undefined ? null : String(reason) });
  }
  return Reflect.apply(realEmit, this, arguments);
};

function liveHandles() {
  const out = [];
  // The process's own stdout/stderr (pipes when run by verify.js) are not leaks.
  const stdio = [process.stdout._handle, process.stderr._handle];
  for (const r of res.values()) {
    const h = r.ref && r.ref.deref();
    if (!h || stdio.includes(h)) continue;
    if (typeof h.hasRef === 'function' && !h.hasRef()) continue;
    if (r.type === 'Timeout' && (h._destroyed || h._idleTimeout === -1)) continue;
    out.push({ type: r.type, line: r.line });
  }
  return out;
}

function dump(how) {
  if (!OUT) return;
  const summary = { how, span_ms: +(performance.now() - t0).toFixed(1), main_ms: mainMs, dispatches,
    awaits, rejections, handles: liveHandles(), active: process.getActiveResourcesInfo() };
  fs.writeFileSync(OUT, JSON.stringify(summary));
}

process.on('exit', () => dump('exit'));
if (process.env.PROBE_SIGINT === '1') {
  process.on('SIGINT', function onSigint() {
    dump('SIGINT');
    process.removeListener('SIGINT', onSigint);
    process.kill(process.pid, 'SIGINT');
  });
}
