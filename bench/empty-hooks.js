'use strict';
// The floor of any recorder built like looptrace's agent: the same hooks,
// registered the same way, with empty bodies.  Loaded with `node --require`
// by bench/overhead-apps.sh (mode "hooks-floor") and
// bench/overhead-promise.sh, so that what Node and V8 charge for calling
// hooks at all is printed beside what the recorder costs.
//   - async_hooks init/before/after for every non-promise resource (no
//     destroy hook: the agent has none), with Node's own promise tracking
//     left off as the agent leaves it (it sees promises through
//     v8.promiseHooks);
//   - v8.promiseHooks init/settled/before/after.
const asyncHooks = require('node:async_hooks');
const { promiseHooks } = require('node:v8');

const hook = asyncHooks.createHook({ init() {}, before() {}, after() {} });
const realCreateHook = promiseHooks.createHook;
promiseHooks.createHook = function createHook() { return function stop() {}; };
try {
  hook.enable();
} finally {
  promiseHooks.createHook = realCreateHook;
}
promiseHooks.createHook({ init() {}, settled() {}, before() {}, after() {} });
