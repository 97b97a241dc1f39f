'use strict';
/*
 * looptrace agent — loaded into every traced Node process with
 * NODE_OPTIONS=--require by `looptrace record`.
 *
 * It observes promises through v8.promiseHooks, every other async resource
 * through async_hooks (with Node's own per-promise bookkeeping kept off, see
 * enableResourceHooks), and rejections and exit by wrapping process.emit —
 * never by adding listeners, so the program behaves exactly as untraced.
 * Records go straight into this thread's capture log (probes/wire.h) through
 * an Int32Array over the shared mapping that looptrace.node hands out.
 *
 * Cost rules for the hot paths (the promise hooks): no clock call (the coarse
 * clock is a word refreshed by a helper thread), no allocation, no stack
 * capture except a time-sampled one, one private-field store per promise.
 */
(function looptraceAgent() {
  let addon;
  try {
    addon = require(process.env.LOOPTRACE_ADDON || `${__dirname}/looptrace.node`);
  } catch {
    return; // no addon: run untraced
  }
  const first = addon.attach();
  if (!first) return;

  const { performance } = require('perf_hooks');
  const asyncHooks = require('async_hooks');
  const { promiseHooks } = require('v8');
  const { threadId } = require('worker_threads');

  // Keep in sync with probes/wire.h.
  const CURSOR = 16;
  const K = {
    PAD: 1, STRING: 2, JS_START: 10, EXIT_EMIT: 11, EXIT_DONE: 12, MAIN_END: 13,
    P_INIT: 16, P_SETTLE: 17, P_BEFORE: 18, P_AFTER: 19,
    R_INIT: 20, R_BEFORE: 21, R_AFTER: 22, R_DESTROY: 23, R_REF: 24,
    REJECT: 25, STACK: 26, REJECT_DETAIL: 27, SAMPLE: 29, SAMPLING: 30,
  };
  const SAMPLING_ON = 1, SAMPLING_OFF = 2, SAMPLING_UNAVAILABLE = 3;
  const REJECT_UNHANDLED = 0, REJECT_HANDLED_LATE = 1, REJECT_UNCAUGHT = 2;
  const hdr = (kind, aux, words) => (kind | (aux << 8) | (words << 16)) | 0;
  const H_P_INIT = hdr(K.P_INIT, 0, 4);
  const H_P_INIT_STACK = hdr(K.P_INIT, 1, 5);
  const H_P_SETTLE = hdr(K.P_SETTLE, 0, 3);
  const H_P_BEFORE = hdr(K.P_BEFORE, 0, 3);
  const H_P_AFTER = hdr(K.P_AFTER, 0, 3);
  const MAX_RECORD_WORDS = 0xffff;
  const MAX_STRING_CHARS = 16384;
  const COARSE_PERIOD_US = 1000;

  // --- the log ---------------------------------------------------------
  let ctl = first.ctl;
  const clock = first.clock;
  let W = first.words;
  let base = first.base;
  let end = base + W.length;
  let U8 = new Uint8Array(W.buffer);
  let stopped = false;
  let lostSeen = first.lost;

  // Returns the index in W where a record of n words may be written.
  function room(n) {
    const cur = ctl[CURSOR];
    if (cur >= base && cur + n <= end) return cur - base;
    return moveOn(n);
  }
  function moveOn(n) {
    const next = stopped ? null : addon.advance(n);
    if (next === null) {
      // Capture stopped (disk full): keep the program running, write nowhere.
      stopped = true;
      ctl = new Int32Array(CURSOR + 1);
      W = new Int32Array(MAX_RECORD_WORDS + 1);
      U8 = new Uint8Array(W.buffer);
      base = 0;
      end = W.length;
      ctl[CURSOR] = 0;
      return 0;
    }
    W = next.words;
    U8 = new Uint8Array(W.buffer);
    base = next.base;
    end = base + W.length;
    if (next.lost !== lostSeen) {
      // Records were dropped (the recorder fell behind): the strings and
      // stacks defined meanwhile are not in the trace, so define them anew.
      lostSeen = next.lost;
      strings.clear();
      stacks.clear();
      idEpoch++;
      lastType = '';
    }
    return ctl[CURSOR] - base;
  }
  function commit(i, header, words) {
    W[i] = header;
    ctl[CURSOR] = stopped ? 0 : base + i + words;
  }

  // Agent-relative time in ns, from performance.now(); LT_JS_START holds the
  // absolute base.  Written as two words, low then high.
  const startHalves = addon.startNs();
  const perfBase = performance.now();
  function putRel(i) {
    const ns = Math.round((performance.now() - perfBase) * 1e6);
    W[i] = ns % 4294967296;
    W[i + 1] = (ns / 4294967296) | 0;
  }

  // --- strings and stacks ------------------------------------------------
  const encoder = new TextEncoder();
  const strings = new Map();
  let nextString = 0;
  function str(s) {
    let id = strings.get(s);
    if (id !== undefined) return id;
    id = ++nextString;
    strings.set(s, id);
    return writeString(s, id);
  }
  // A string met once (a rejection's message or stack, which may carry a
  // request's data): written, never remembered, so a service that lives on
  // through its errors keeps none of them.
  function strOnce(s) {
    return writeString(s, ++nextString);
  }
  function writeString(s, id) {
    if (s.length > MAX_STRING_CHARS) s = s.slice(0, MAX_STRING_CHARS);
    const maxWords = 3 + Math.ceil((s.length * 3) / 4);
    const i = room(maxWords);
    const { written } = encoder.encodeInto(s, U8.subarray((i + 3) * 4, (i + maxWords) * 4));
    const words = 3 + Math.ceil(written / 4);
    W[i + 1] = id;
    W[i + 2] = written;
    commit(i, hdr(K.STRING, 0, words), words);
    return id;
  }

  const agentFile = __filename;
  const stacks = new Map();
  let nextStack = 0;
  // Bumped when records were lost: string and stack ids cached anywhere
  // (FnInfo, the resource type) are then defined anew.
  let idEpoch = 1;
  let lastType = ''; // the type string of the last resource, and its facts
  let lastTypeId = 0;
  let lastIsHandle = false;
  let lastCoarse = 0;
  function callSites(_, sites) { return sites; }
  // Returns a stack id (0 when nothing could be captured).
  // The budget counts the CPU this thread spent on a capture, not its wall
  // time (which grows with the machine's run queue) nor the process's CPU
  // (which counts the thread pool hashing passwords meanwhile).
  const cpuMs = typeof addon.threadCpuMs === 'function' ? addon.threadCpuMs : () => performance.now();
  // Reading the thread's CPU clock is a system call (3-10 us in a VM, more
  // than a capture): one capture in MEASURE_EVERY is timed, and the others
  // are charged the running mean of the timed ones, so the budgets still
  // count CPU, never the run queue.  The first capture is always timed.
  const MEASURE_EVERY = 8;
  let untimed = 0;
  let meanCaptureMs = 0;
  function stackId(skipFn, forResume) {
    const timed = untimed === 0;
    untimed = (untimed + 1) % MEASURE_EVERY;
    const c0 = timed ? cpuMs() : 0;
    try {
      return captureStack(skipFn);
    } finally {
      let spent = meanCaptureMs;
      if (timed) {
        spent = cpuMs() - c0;
        meanCaptureMs = meanCaptureMs === 0 ? spent : 0.75 * meanCaptureMs + 0.25 * spent;
      }
      if (forResume) resumeSpentMs += spent;
      else stackSpentMs += spent;
      resumeTick = -1;
    }
  }
  function captureStack(skipFn) {
    const prep = Error.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    let sites;
    try {
      Error.prepareStackTrace = callSites;
      Error.stackTraceLimit = 12;
      const holder = {};
      Error.captureStackTrace(holder, skipFn);
      sites = holder.stack;
    } catch {
      sites = undefined;
    } finally {
      Error.prepareStackTrace = prep;
      Error.stackTraceLimit = limit;
    }
    if (!Array.isArray(sites)) return 0;
    const frames = [];
    for (let k = 0; k < sites.length && frames.length < 4 * 10; k++) {
      const s = sites[k];
      // Async frames ("at async caller") describe who awaits, not who runs:
      // the stack proper ends before them.
      if (typeof s.isAsync === 'function' && s.isAsync()) break;
      const file = s.getFileName() || '';
      if (file === agentFile) continue;
      frames.push(s.getFunctionName() || '', file, s.getLineNumber() || 0, s.getColumnNumber() || 0);
    }
    return internStack(frames);
  }
  // frames: function, file, line, column per frame, innermost first.
  // Returns the id of an LT_STACK record with them, written once.
  function internStack(frames) {
    let key = '';
    for (let k = 0; k < frames.length; k += 4) {
      key += `${frames[k]}\u0000${frames[k + 1]}\u0000${frames[k + 2]}\u0000${frames[k + 3]}\u0001`;
    }
    let id = stacks.get(key);
    if (id !== undefined) return id;
    id = ++nextStack;
    stacks.set(key, id);
    const n = frames.length / 4;
    const ids = new Array(frames.length);
    for (let k = 0; k < frames.length; k += 4) {
      ids[k] = str(frames[k]);
      ids[k + 1] = str(frames[k + 1]);
      ids[k + 2] = frames[k + 2];
      ids[k + 3] = frames[k + 3];
    }
    const words = 3 + frames.length;
    const i = room(words);
    W[i + 1] = id;
    W[i + 2] = n;
    for (let k = 0; k < ids.length; k++) W[i + 3 + k] = ids[k];
    commit(i, hdr(K.STACK, 0, words), words);
    return id;
  }

  // Stack budget.  A capture costs from a few to tens of microseconds (deep
  // stacks, source positions), so they are bounded by time: all captures
  // together may take at most STACK_SHARE of the time since start (after a
  // STACK_BURST_MS allowance), checked once per coarse-clock tick, and at
  // most STACKS_PER_TICK resource and PROMISE_STACKS_PER_TICK promise
  // captures per tick (resources are not capped per tick until the burst
  // allowance is spent).  Within that:
  //  - real libuv handles (sockets, servers, watchers, child processes) and
  //    intervals get one always: they are few, and leak reports need their
  //    creation site;
  //  - timers and immediates reuse the stack first seen for the same
  //    callback function;
  //  - promises: the first of each tick, i.e. the ones created right after
  //    a pause (an await resuming after I/O), which are worth locating.
  //  - the first promise of a resumed async function (it names the
  //    await line sequential-await needs) has a budget of its own,
  //    RESUME_SHARE after RESUME_BURST_MS, used when the shared one is
  //    spent: a server's many sockets (one stack each, always) used to
  //    spend it all and leave its awaits unplaced.
  const STACK_SHARE = 0.01;
  const STACK_BURST_MS = 20;
  const RESUME_SHARE = 0.005;
  const RESUME_BURST_MS = 10;
  let resumeSpentMs = 0;
  const STACKS_PER_TICK = 2;
  const PROMISE_STACKS_PER_TICK = 2;
  let stackSpentMs = 0;
  // The main module's captures (module loading makes many resources and
  // promises) are start-up's own: when it ends the budget starts afresh, so
  // a short program (a test file) still has stacks for what it awaits.
  let budgetBase = perfBase;
  function restartStackBudget() {
    stackSpentMs = 0;
    resumeSpentMs = 0;
    budgetBase = performance.now();
    budgetTick = -1;
    resumeTick = -1;
  }
  let budgetTick = -1;
  let resourceStacks = 0;
  let promiseStacks = 0;
  // Whether the shared and the resume budgets are open, as last computed
  // (one performance.now() per coarse-clock tick rather than two per
  // resumed reaction: an await-heavy program resumes a million times a
  // second, and the calls went on once the budgets were spent).  A capture
  // forgets it (resumeTick = -1), so the budgets are never overdrawn by
  // more than before.
  let resumeTick = -1;
  let sharedOpenNow = false;
  let resumeOpenNow = false;
  function checkBudgets(now) {
    const t = performance.now() - budgetBase;
    resumeTick = now;
    sharedOpenNow = stackSpentMs < STACK_BURST_MS + STACK_SHARE * t;
    resumeOpenNow = resumeSpentMs < RESUME_BURST_MS + RESUME_SHARE * t;
  }
  function newTick(now) {
    budgetTick = now;
    const open = stackSpentMs < STACK_BURST_MS + STACK_SHARE * (performance.now() - budgetBase);
    resourceStacks = open ? STACKS_PER_TICK : 0;
    promiseStacks = open ? PROMISE_STACKS_PER_TICK : 0;
  }
  // LOOPTRACE_STACKS=all (set by `looptrace lesson`): every resource and
  // promise is located, up to 50000 captures: a teaching page
  // shows each step's await/then line, whatever it costs a short program.
  let allStacksLeft = process.env.LOOPTRACE_STACKS === 'all' ? 50000 : 0;
  function takeStackToken(now) {
    if (allStacksLeft > 0 && allStacksLeft--) return true;
    // Within the burst allowance every resource is located: a short program
    // (a lesson, a puzzle) then has every callback placed in its code.
    if (stackSpentMs < STACK_BURST_MS) return true;
    if (now !== budgetTick) newTick(now);
    if (resourceStacks <= 0) return false;
    resourceStacks--;
    return true;
  }
  function takePromiseStackToken(now) {
    if (allStacksLeft > 0 && allStacksLeft--) return true;
    if (now !== budgetTick) newTick(now);
    if (promiseStacks <= 0) return false;
    promiseStacks--;
    return true;
  }

  // --- JS start ----------------------------------------------------------
  {
    const mainScript = str(process.argv[1] || '');
    // A worker's `name` option (Node 22+; "WorkerThread" when none was given).
    const { threadName, isMainThread } = require('worker_threads');
    const named = !isMainThread && typeof threadName === 'string' && threadName !== '' &&
      threadName !== 'WorkerThread';
    const nameId = named ? str(threadName) : 0;
    const i = room(6);
    W[i + 1] = startHalves[0];
    W[i + 2] = startHalves[1];
    W[i + 3] = threadId;
    W[i + 4] = mainScript;
    W[i + 5] = nameId;
    commit(i, hdr(K.JS_START, 0, 6), 6);
  }

  // --- in-dispatch stack samples ---------------------------------------------
  // The watchdog module (probes/agent/watchdog.cc, one build per Node ABI)
  // interrupts this thread when it has been busy LOOPTRACE_SAMPLE_MS (40)
  // without waiting in epoll and keeps the stack it saw; the interrupt may
  // come in the middle of one of our records, so it only raises
  // sampleFlag[0] and the samples are written here, at the next resource
  // before/after, main end or exit mark (never in the promise hooks).
  const sampleMs = process.env.LOOPTRACE_SAMPLE_MS === undefined ? 40 : Number(process.env.LOOPTRACE_SAMPLE_MS);
  // Samples inside native code (JSON.parse, readFileSync's C++ half, sync
  // crypto and zlib), which an interrupt cannot reach, come from V8's CPU
  // profiler kept running at LOOPTRACE_PROFILE_US (10000; 0: off).
  const profileUs = process.env.LOOPTRACE_PROFILE_US === undefined ? 10000 : Number(process.env.LOOPTRACE_PROFILE_US);
  const abi = Number(process.versions.modules) | 0;
  let watchdog;
  let sampleFlag;
  let sampling = SAMPLING_OFF;
  if (sampleMs > 0) {
    try {
      watchdog = require(`${__dirname}/looptrace-watchdog-abi${abi}.node`);
      sampleFlag = typeof watchdog.start === 'function' ? watchdog.start(sampleMs, profileUs) : undefined;
    } catch {
      sampleFlag = undefined;
    }
    sampling = sampleFlag ? SAMPLING_ON : SAMPLING_UNAVAILABLE;
  }
  if (!sampleFlag) sampleFlag = new Int32Array(2); // stays 0
  {
    const i = room(3);
    W[i + 1] = abi;
    W[i + 2] = sampleMs > 0 ? Math.min(sampleMs, 0x7fffffff) | 0 : 0;
    commit(i, hdr(K.SAMPLING, sampling, 3), 3);
  }
  function flushSamples(now) {
    if (watchdog === undefined || typeof watchdog.take !== 'function') return;
    const a = watchdog.take(now);
    if (a === undefined) return;
    let k = 1;
    for (let n = a[0]; n > 0; n--) {
      const tsLo = a[k], tsHi = a[k + 1], busyNs = a[k + 2], onCpuNs = a[k + 3], runqNs = a[k + 4];
      const count = a[k + 5];
      k += 6;
      const frames = [];
      for (let f = 0; f < count; f++, k += 4) {
        if (a[k + 1] !== agentFile) frames.push(a[k], a[k + 1], a[k + 2], a[k + 3]);
      }
      const sid = internStack(frames);
      const i = room(7);
      W[i + 1] = tsLo; W[i + 2] = tsHi; W[i + 3] = sid; W[i + 4] = busyNs;
      W[i + 5] = onCpuNs; W[i + 6] = runqNs;
      commit(i, hdr(K.SAMPLE, 0, 7), 7);
    }
  }

  // --- promises ------------------------------------------------------------
  // A private field is invisible to the program (no own property, nothing in
  // util.inspect), unlike a symbol-keyed property.
  class ReturnTarget { constructor(o) { return o; } }
  class PromiseTag extends ReturnTarget {
    #lt;
    constructor(o, id) { super(o); this.#lt = id; }
    static id(o) { return #lt in o ? o.#lt : 0; }
  }
  let resumed = false; // in a promise reaction that has made no promise yet
  let nextPromise = 0;

  function promiseInit(promise, parent) {
    const id = ++nextPromise;
    new PromiseTag(promise, id); // eslint-disable-line no-new
    const parentId = parent === undefined ? 0 : PromiseTag.id(parent);
    const now = clock[0];
    // The first promise a resumed reaction makes (an async function going
    // on after an await: the call it makes next) is located while the
    // budget allows: its stack names the function and its await line, which
    // sequential-await needs and the first-of-tick rule misses when a
    // library's own promises came first in the tick.
    let first = false, ownBudget = false;
    if (resumed) {
      resumed = false;
      if (now !== resumeTick) checkBudgets(now);
      first = sharedOpenNow;
      ownBudget = !first && resumeOpenNow;
    }
    if (first || ownBudget || takePromiseStackToken(now)) {
      const sid = stackId(promiseInit, ownBudget);
      const i = room(5);
      W[i + 1] = id; W[i + 2] = parentId; W[i + 3] = now; W[i + 4] = sid;
      commit(i, H_P_INIT_STACK, 5);
      return;
    }
    const cur = ctl[CURSOR];
    const i = cur >= base && cur + 4 <= end ? cur - base : moveOn(4);
    W[i + 1] = id; W[i + 2] = parentId; W[i + 3] = now;
    W[i] = H_P_INIT;
    ctl[CURSOR] = stopped ? 0 : base + i + 4;
  }
  function promiseEvent(header, promise) {
    const cur = ctl[CURSOR];
    const i = cur >= base && cur + 3 <= end ? cur - base : moveOn(3);
    W[i + 1] = PromiseTag.id(promise); W[i + 2] = clock[0];
    W[i] = header;
    ctl[CURSOR] = stopped ? 0 : base + i + 3;
  }
  // --- the handler a promise was chained with ----------------------------------
  // A rejection nobody handled, of a promise made by `.then(f)` / `.catch(f)`,
  // belongs at the user line that chained it; creation stacks are sampled and
  // seldom reach it.  So a promise made by an explicit then (catch and
  // finally call it too) keeps the handler it was made with in a private
  // field of its own, and at the rejection the watchdog module says where
  // that function is defined (for an inline handler, the line of the
  // `.then`).  A Proxy keeps then's name, length and "[native code]".
  // The handler lives as long as the promise made with it, which the
  // parent's reaction kept alive anyway until it ran: no other reference to
  // the program's objects.  (It used to be a ring of the last 4096
  // handlers: that kept the closures of ~1000 requests alive, and their
  // contexts, and the collector paid for it on every server.)
  class HandlerTag extends ReturnTarget {
    #fn;
    constructor(o, fn) { super(o); this.#fn = fn; }
    static of(o) { return #fn in o ? o.#fn : undefined; }
  }
  if (watchdog && typeof watchdog.where === 'function') {
    const desc = Object.getOwnPropertyDescriptor(Promise.prototype, 'then');
    if (desc && typeof desc.value === 'function' && desc.writable && desc.configurable) {
      const thenTrap = {
        apply(target, self, args) {
          const derived = Reflect.apply(target, self, args);
          const fn = typeof args[0] === 'function' ? args[0] : args[1];
          if (typeof fn === 'function' && derived !== null && typeof derived === 'object') {
            // A subclass's species constructor may hand out the same
            // object twice (the field is there already) or a proxy.
            try { new HandlerTag(derived, fn); } catch { /* not remembered */ } // eslint-disable-line no-new
          }
          return derived;
        },
      };
      Object.defineProperty(Promise.prototype, 'then', { ...desc, value: new Proxy(desc.value, thenTrap) });
    }
  }
  // Stack id of one frame, the handler `promise` was made with; 0 if it was
  // not made by then or the handler is not a function of a script.
  function handlerStackId(promise) {
    if (promise === null || typeof promise !== 'object') return 0;
    const fn = HandlerTag.of(promise);
    if (fn === undefined) return 0;
    let at;
    try { at = watchdog.where(fn); } catch { at = undefined; }
    if (!Array.isArray(at) || typeof at[1] !== 'string' || at[1] === '') return 0;
    return internStack([String(at[0] || ''), at[1], at[2] | 0, at[3] | 0]);
  }

  promiseHooks.createHook({
    init: promiseInit,
    settled(promise) { promiseEvent(H_P_SETTLE, promise); },
    before(promise) { resumed = true; promiseEvent(H_P_BEFORE, promise); },
    after(promise) { resumed = false; promiseEvent(H_P_AFTER, promise); },
  });

  // --- other async resources -------------------------------------------------
  // libuv handles, kept weakly until they close: their ref state and close
  // matter for leaks.
  const handles = new Map();
  const LIBUV_HANDLES = new Set([
    'TCPWRAP', 'TCPSERVERWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'TTYWRAP', 'UDPWRAP', 'PROCESSWRAP',
    'SIGNALWRAP', 'FSEVENTWRAP', 'STATWATCHER', 'MESSAGEPORT', 'WORKER',
  ]);
  let mainEndTickId = -1; // the agent's own tick, see mainEnded

  function callbackOf(type, r) {
    if (type === 'Timeout') return r._onTimeout;
    if (type === 'Immediate') return r._onImmediate;
    if (type === 'TickObject' || type === 'Microtask') return r.callback;
    return undefined;
  }

  // --- ref/unref, recorded when called ----------------------------------------
  // A handle's ref state decides whether it keeps the process alive.  Node
  // dies of SIGINT (as `record --duration` ends it) without running any JS,
  // so the state is recorded at each ref()/unref() call rather than at exit:
  // on the timers' JS prototypes, and on the native handle prototypes the
  // first time a handle of that kind is created.
  function recordRef(asyncId, refd) {
    const i = room(2);
    W[i + 1] = asyncId;
    commit(i, hdr(K.R_REF, refd, 2), 2);
  }
  function wrapRefMethods(proto, asyncIdOf) {
    for (const name of ['ref', 'unref']) {
      const real = proto[name];
      if (typeof real !== 'function') continue;
      const refd = name === 'ref' ? 1 : 0;
      const wrapper = {
        [name]() {
          const result = Reflect.apply(real, this, arguments);
          let id = 0;
          try { id = asyncIdOf(this); } catch { id = 0; }
          if (id > 0) recordRef(id, refd);
          return result;
        },
      }[name];
      Object.defineProperty(proto, name, { value: wrapper, writable: true, configurable: true });
    }
  }
  {
    // A timer made and cleared before our hooks exist: nobody sees it.
    const t = setTimeout(() => {}, 0);
    const im = setImmediate(() => {});
    clearTimeout(t);
    clearImmediate(im);
    const idSymbol = Object.getOwnPropertySymbols(t).find((sym) => sym.description === 'asyncId');
    if (idSymbol) {
      wrapRefMethods(Object.getPrototypeOf(t), (o) => o[idSymbol]);
      wrapRefMethods(Object.getPrototypeOf(im), (o) => o[idSymbol]);
      wrapClears(Object.getPrototypeOf(t), Object.getPrototypeOf(im), idSymbol);
    }
  }

  // --- clearTimeout/clearInterval/clearImmediate, recorded when called --------
  // A cleared timer no longer keeps the loop alive, and `record --duration`
  // ends programs long before their timers would have come due, so the clear
  // is recorded (as LT_R_DESTROY of the timer) when made on a live timer.
  // The global functions and the 'timers' module's exports are the same
  // objects; both are replaced by wrappers with the same name and length.
  // Timers can also be cleared by the number they convert to (their async id,
  // through Symbol.toPrimitive): those are remembered weakly when converted.
  function wrapClears(timeoutProto, immediateProto, idSymbol) {
    const byNumber = new Map(); // async id -> WeakRef(Timeout)
    // A service that converts every request's timer to a number (a timer as
    // a property key) would grow the map for ever: the timers that ran,
    // were cleared or are gone are swept whenever it doubles.
    let pruneAt = 1024;
    function pruneNumbers() {
      for (const [n, ref] of byNumber) {
        const t = ref.deref();
        if (t === undefined || t._destroyed) byNumber.delete(n);
      }
      pruneAt = Math.max(1024, 2 * byNumber.size);
    }
    function liveId(o, proto) {
      if (o === null || typeof o !== 'object' || Object.getPrototypeOf(o) !== proto) return 0;
      return o._destroyed ? 0 : o[idSymbol] | 0;
    }
    function timeoutId(timer) {
      if (typeof timer === 'number' || typeof timer === 'string') {
        const ref = byNumber.get(Number(timer));
        const t = ref === undefined ? undefined : ref.deref();
        return t === undefined ? 0 : liveId(t, timeoutProto);
      }
      return liveId(timer, timeoutProto);
    }
    function cleared(id) {
      if (id > 0) resourceEvent(K.R_DESTROY, 0, id);
    }
    const toPrimitive = timeoutProto[Symbol.toPrimitive];
    if (typeof toPrimitive === 'function') {
      const wrapper = {
        [Symbol.toPrimitive]() {
          const n = Reflect.apply(toPrimitive, this, arguments);
          if (typeof n === 'number' && !byNumber.has(n)) {
            if (byNumber.size >= pruneAt) pruneNumbers();
            byNumber.set(n, new WeakRef(this));
          }
          return n;
        },
      }[Symbol.toPrimitive];
      Object.defineProperty(timeoutProto, Symbol.toPrimitive, { value: wrapper, writable: true, configurable: true });
    }
    const timers = require('timers');
    const wrappers = {
      clearTimeout(timer) {
        let id = 0;
        try { id = timeoutId(timer); } catch { id = 0; }
        const result = Reflect.apply(realClear.clearTimeout, this, arguments);
        cleared(id);
        return result;
      },
      clearInterval(timer) {
        let id = 0;
        try { id = timeoutId(timer); } catch { id = 0; }
        const result = Reflect.apply(realClear.clearInterval, this, arguments);
        cleared(id);
        return result;
      },
      clearImmediate(immediate) {
        let id = 0;
        try { id = liveId(immediate, immediateProto); } catch { id = 0; }
        const result = Reflect.apply(realClear.clearImmediate, this, arguments);
        cleared(id);
        return result;
      },
    };
    const realClear = {};
    for (const name of Object.keys(wrappers)) {
      const real = timers[name];
      if (typeof real !== 'function') continue;
      realClear[name] = real;
      const wrapper = wrappers[name];
      Object.defineProperty(wrapper, 'length', { value: real.length });
      for (const holder of [timers, globalThis]) {
        const desc = Object.getOwnPropertyDescriptor(holder, name);
        if (desc && desc.value === real) Object.defineProperty(holder, name, { ...desc, value: wrapper });
      }
    }
    // close() and [Symbol.dispose]() clear too (through Node's own functions).
    const methods = [[timeoutProto, 'close'], [timeoutProto, Symbol.dispose], [immediateProto, Symbol.dispose]];
    for (const [proto, key] of methods) {
      if (key === undefined || !Object.prototype.hasOwnProperty.call(proto, key)) continue;
      const real = proto[key];
      if (typeof real !== 'function') continue;
      const wrapper = {
        [key]() {
          let id = 0;
          try { id = liveId(this, proto); } catch { id = 0; }
          const result = Reflect.apply(real, this, arguments);
          cleared(id);
          return result;
        },
      }[key];
      Object.defineProperty(proto, key, { value: wrapper, writable: true, configurable: true });
    }
  }
  const refWrapped = new Set();
  const closeWrapped = new Set();
  const handleAsyncId = (o) => (typeof o.getAsyncId === 'function' ? o.getAsyncId() : 0);
  function owner(resource, name) {
    let proto = Object.getPrototypeOf(resource);
    while (proto && !Object.prototype.hasOwnProperty.call(proto, name)) proto = Object.getPrototypeOf(proto);
    return proto;
  }
  // ref/unref/close of a kind of libuv handle, wrapped once per prototype.
  function watchHandle(resource) {
    const refProto = owner(resource, 'unref');
    if (refProto && !refWrapped.has(refProto)) {
      refWrapped.add(refProto);
      wrapRefMethods(refProto, handleAsyncId);
    }
    const closeProto = owner(resource, 'close');
    if (closeProto && !closeWrapped.has(closeProto)) {
      closeWrapped.add(closeProto);
      const real = closeProto.close;
      const close = {
        close() {
          let id = 0;
          try { id = handleAsyncId(this); } catch { id = 0; }
          if (id > 0 && handles.delete(id)) {
            closing.add(id);
            resourceEvent(K.R_DESTROY, 0, id);
          }
          return Reflect.apply(real, this, arguments);
        },
      }.close;
      Object.defineProperty(closeProto, 'close', { value: close, writable: true, configurable: true });
    }
  }

  // Ticks, immediates and queueMicrotask callbacks are many and short: their
  // records carry the 1 ms coarse clock instead of performance.now() (the
  // importer widens it).  Indexed by async id modulo the table size: a stale
  // entry only changes which clock a record uses.
  const COARSE_SLOTS = 0xffff;
  const coarseClock = new Uint8Array(COARSE_SLOTS + 1);

  // A callback function's name (a string id) and the stack first seen
  // creating a timer or immediate with it, in private fields of the function
  // (invisible to the program, gone with the function).  Reading `name`
  // calls into V8's C++ every time (a bound function's builds "bound f"),
  // and a Map or WeakMap lookup per resource showed in a server's profile;
  // Node makes a new bound function per request for a socket's timeout, and
  // a WeakMap of them was one more table for the collector to sweep.
  class FnInfo extends ReturnTarget {
    #epoch; #nameId; #stackId;
    constructor(o, nameId) { super(o); this.#epoch = idEpoch; this.#nameId = nameId; this.#stackId = 0; }
    static nameId(o) { return #epoch in o && o.#epoch === idEpoch ? o.#nameId : -1; }
    static stackId(o) { return #epoch in o && o.#epoch === idEpoch ? o.#stackId : 0; }
    static remember(o, nameId) {
      if (#epoch in o) {
        o.#epoch = idEpoch; o.#nameId = nameId; o.#stackId = 0;
      } else {
        new FnInfo(o, nameId); // eslint-disable-line no-new
      }
    }
    static rememberStack(o, sid) { if (#epoch in o && o.#epoch === idEpoch) o.#stackId = sid; }
  }
  function fnNameId(fn) {
    const known = FnInfo.nameId(fn);
    if (known >= 0) return known;
    const name = fn.name;
    const id = typeof name === 'string' && name !== '' ? str(name) : 0;
    // A function V8 will not add a field to (non-extensible, in Node
    // versions that apply it to private fields) is looked up every time.
    try { FnInfo.remember(fn, id); } catch { /* not remembered */ }
    return id;
  }

  function resourceInit(asyncId, type, triggerAsyncId, resource) {
    if (type === 'TickObject' && resource.callback === mainEnded) {
      mainEndTickId = asyncId; // ours: not the program's
      return;
    }
    if (type !== lastType) {
      lastTypeId = str(type);
      lastType = type;
      lastIsHandle = LIBUV_HANDLES.has(type);
      lastCoarse = type === 'TickObject' || type === 'Immediate' || type === 'Microtask' ? 1 : 0;
    }
    const typeId = lastTypeId;
    const isHandle = lastIsHandle;
    const coarse = lastCoarse;
    coarseClock[asyncId & COARSE_SLOTS] = coarse;
    const cb = callbackOf(type, resource);
    const nameId = typeof cb === 'function' ? fnNameId(cb) : 0;
    let sid = 0;
    if (isHandle) {
      sid = stackId(resourceInit);
    } else if (typeof cb === 'function' && (type === 'Timeout' || type === 'Immediate')) {
      // (Ticks are left out: their callbacks are often Node's own, shared
      // by every caller.)
      // An interval always gets its site, like a libuv handle: intervals are
      // few and are the timers that leak (a budget token alone lost the
      // third of three intervals created in one tick under load).
      sid = FnInfo.stackId(cb);
      if (sid === 0 && ((type === 'Timeout' && resource._repeat) || takeStackToken(clock[0]))) {
        sid = stackId(resourceInit);
        FnInfo.rememberStack(cb, sid);
      }
    } else if (takeStackToken(clock[0])) {
      sid = stackId(resourceInit);
    }
    let delay = -1;
    let flags = 0; // bit 0: unref'd, bit 1: repeats (setInterval)
    if (type === 'Timeout') {
      delay = resource._idleTimeout | 0;
      if (typeof resource.hasRef === 'function' && !resource.hasRef()) flags |= 1;
      if (resource._repeat) flags |= 2;
    }
    if (isHandle) {
      handles.set(asyncId, new WeakRef(resource));
      watchHandle(resource);
    }
    const i = room(10);
    W[i + 1] = asyncId; W[i + 2] = triggerAsyncId; W[i + 3] = typeId; W[i + 4] = sid;
    if (coarse) {
      W[i + 5] = clock[0]; W[i + 6] = 0;
      flags |= 4;
    } else {
      putRel(i + 5);
    }
    W[i + 7] = delay; W[i + 8] = nameId; W[i + 9] = 0;
    commit(i, hdr(K.R_INIT, flags, 10), 10);
  }

  // A handle's close callback runs with the handle as its resource, after
  // its close() call.
  const closing = new Set();
  function isClosing(asyncId) {
    return closing.size !== 0 && closing.delete(asyncId) ? 1 : 0;
  }

  function resourceEvent(kind, aux, asyncId) {
    const i = room(4);
    W[i + 1] = asyncId;
    if (coarseClock[asyncId & COARSE_SLOTS] === 1) {
      W[i + 2] = clock[0]; W[i + 3] = 0;
      aux |= 2;
    } else {
      putRel(i + 2);
    }
    commit(i, hdr(kind, aux, 4), 4);
  }

  function enableResourceHooks() {
    const hook = asyncHooks.createHook({
      init: resourceInit,
      before(asyncId) {
        if ((sampleFlag[0] | sampleFlag[1]) !== 0) flushSamples(false);
        // A callback runs after a rejection: it was not fatal (Node has
        // printed what it prints), so its stack may be read now.
        if (pendingDetails.length !== 0) flushRejectDetails();
        if (asyncId !== mainEndTickId) resourceEvent(K.R_BEFORE, isClosing(asyncId), asyncId);
      },
      after(asyncId) {
        if ((sampleFlag[0] | sampleFlag[1]) !== 0) flushSamples(false);
        if (asyncId !== mainEndTickId) resourceEvent(K.R_AFTER, 0, asyncId);
      },
      // No destroy hook: it makes Node queue a destroy emit for every tick,
      // immediate and request, and costs as much as everything else here.
      // Handles report their close() (watchHandle); timers that were
      // cleared are recognised in the trace (due, yet never ran).
    });
    // Enabling an async hook makes Node track every promise itself (an id
    // property, an init call, before/after emits): the dominant cost, and we
    // see promises through promiseHooks already.  Node registers that
    // tracking through this same promiseHooks object, so hand it a no-op for
    // the duration of our enable().  A hook the program enables later goes
    // through the real createHook and gets Node's tracking as usual.
    const realCreateHook = promiseHooks.createHook;
    promiseHooks.createHook = function createHook() { return function stop() {}; };
    try {
      hook.enable();
    } finally {
      promiseHooks.createHook = realCreateHook;
    }
  }
  enableResourceHooks();

  // --- the end of the main module ------------------------------------------
  // The first tick queued is the first callback to run once the main module
  // has returned: that is where the `main` dispatch ends.  (Wrapping
  // Module.runMain would put a frame of ours into the program's stack
  // traces.)  If main throws, it never runs and the crash stays with main.
  function mainEnded() {
    restartStackBudget();
    flushSamples(true);
    const i = room(3);
    putRel(i + 1);
    commit(i, hdr(K.MAIN_END, 0, 3), 3);
  }
  process.nextTick(mainEnded);

  // --- rejections and exit, by wrapping process.emit ---------------------------
  let lastReason;
  let rejectOrdinal = 0;
  // ordinal, reason, ...: flushed at exit, or at the next callback (a
  // service that lives on through its rejections keeps none of them, and a
  // flight recorder's dump has their stacks).
  const pendingDetails = [];
  // Only name and message now: reading err.stack before Node prints a fatal
  // rejection changes the source line Node shows.  The stack is recorded at
  // exit (flushRejectDetails), after Node has printed.
  // The class, when the error's name is a built-in one its class did not
  // override (`class AxiosError extends Error` without setting name): only
  // name, message and constructor are read.
  const BUILTIN_ERROR_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError',
    'EvalError', 'URIError', 'AggregateError']);
  function errorClass(reason, name) {
    if (!BUILTIN_ERROR_NAMES.has(name)) return name;
    const ctor = reason.constructor;
    const cls = typeof ctor === 'function' ? ctor.name : '';
    return typeof cls === 'string' && cls !== '' ? cls : name;
  }
  function reasonSummary(reason) {
    try {
      if (reason instanceof Error) {
        const name = reason.name;
        return `${errorClass(reason, typeof name === 'string' ? name : 'Error')}: ${reason.message}`;
      }
      return `${typeof reason}: ${String(reason)}`;
    } catch {
      return '(unprintable reason)';
    }
  }
  function recordReject(kind, promise, reason, withReason) {
    const pid = promise && typeof promise === 'object' ? PromiseTag.id(promise) : 0;
    const rid = withReason ? strOnce(reasonSummary(reason)) : 0;
    // An unhandled rejection is detected where Node drains its queues, a
    // place of no interest: the handler's place is recorded when known.
    const sid = (kind === REJECT_UNHANDLED && handlerStackId(promise)) || stackId(recordReject);
    const ordinal = ++rejectOrdinal;
    if (withReason && reason instanceof Error) pendingDetails.push(ordinal, reason);
    const i = room(7);
    W[i + 1] = pid; W[i + 2] = rid; W[i + 3] = sid;
    putRel(i + 4);
    W[i + 6] = ordinal;
    commit(i, hdr(K.REJECT, kind, 7), 7);
  }
  function flushRejectDetails() {
    for (let k = 0; k < pendingDetails.length; k += 2) {
      let text;
      try {
        const reason = pendingDetails[k + 1];
        text = String(reason.stack);
        // The stack's first line has the name the error had when made.
        const name = reason.name;
        const cls = typeof name === 'string' ? errorClass(reason, name) : '';
        if (cls !== name && text.startsWith(`${name}:`)) text = cls + text.slice(name.length);
      } catch { continue; }
      const sid = strOnce(text);
      const i = room(3);
      W[i + 1] = pendingDetails[k]; W[i + 2] = sid;
      commit(i, hdr(K.REJECT_DETAIL, 0, 3), 3);
    }
    pendingDetails.length = 0;
  }
  function snapshotRefs() {
    for (const [asyncId, ref] of handles) {
      const r = ref.deref();
      if (r === undefined || typeof r.hasRef !== 'function') continue;
      let refd;
      try { refd = r.hasRef() ? 1 : 0; } catch { continue; }
      const i = room(2);
      W[i + 1] = asyncId;
      commit(i, hdr(K.R_REF, refd, 2), 2);
    }
  }
  function exitMark(kind, aux, code) {
    flushSamples(true);
    const i = room(4);
    putRel(i + 1);
    W[i + 3] = code | 0;
    commit(i, hdr(kind, aux, 4), 4);
  }

  const realEmit = process.emit;
  process.emit = function emit(event, a, b) {
    switch (event) {
      case 'unhandledRejection':
        lastReason = a;
        recordReject(REJECT_UNHANDLED, b, a, true);
        break;
      case 'rejectionHandled':
        recordReject(REJECT_HANDLED_LATE, a, undefined, false);
        break;
      case 'uncaughtExceptionMonitor':
        if (b === 'unhandledRejection') {
          if (a !== lastReason) recordReject(REJECT_UNHANDLED, undefined, a, true);
        } else {
          recordReject(REJECT_UNCAUGHT, undefined, a, true);
        }
        break;
      case 'beforeExit':
      case 'exit': {
        const isExit = event === 'exit';
        if (isExit) {
          snapshotRefs();
          flushRejectDetails();
        }
        exitMark(K.EXIT_EMIT, isExit ? 1 : 0, typeof a === 'number' ? a : 0);
        try {
          return Reflect.apply(realEmit, this, arguments);
        } finally {
          exitMark(K.EXIT_DONE, isExit ? 1 : 0, 0);
        }
      }
      default:
        break;
    }
    return Reflect.apply(realEmit, this, arguments);
  };
})();
