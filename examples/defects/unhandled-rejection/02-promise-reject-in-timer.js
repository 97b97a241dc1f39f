'use strict';
// DEFECT (unhandled-rejection): a timer callback that refreshes an API token
// creates a rejected promise with Promise.reject() when there is no token,
// but forgets to return it to anyone: no handler is ever attached. After the
// timer's microtasks drain, Node finds the rejection unhandled and, in the
// default mode, crashes the process (exit status 1).
// Why it is a defect: Promise.reject(...) whose result is dropped is an
// error nobody will ever handle.
// Fix: return the promise to a caller that handles it, or simply throw /
// log the error where it happens.

const tokens = new Map();

function fetchToken() {
  return new Promise((resolve) => setTimeout(() => resolve('tok-2'), 5));
}

setTimeout(function refreshToken() {
  let next;
  if (tokens.has('api')) next = fetchToken();
  else Promise.reject(new Error('no API token to refresh'));
  if (next) next.then((t) => tokens.set('api', t));
}, 20);

setTimeout(() => console.log('never printed: the process died first'), 100);
