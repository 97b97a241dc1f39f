'use strict';
// DEFECT (unhandled-rejection, handled late): a report is requested up front
// and the promise is kept in a variable, but its rejection handler is only
// attached 100 ms later, in a timer, when the page is rendered. It rejects
// after 5 ms, so when Node checks (after the microtask drain) the rejection
// has no handler: it is reported as unhandled, and 95 ms later as "handled
// late" (PromiseRejectionHandledWarning). Run with
// --unhandled-rejections=warn so the process survives to attach the handler
// (in the default mode it would die at 5 ms). Exit status 0.
// Why it is a defect: between the rejection and the late handler the error
// is unhandled; in the default mode it kills the process.
// Fix: attach the handler when the promise is created
// (const pending = loadReport('q3').catch(...)), or await it right away.

async function loadReport(name) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  throw new Error(`report ${name} is not ready`);
}

const pending = loadReport('q3');

setTimeout(function render() {
  pending.then(
    (report) => console.log(`report: ${report}`),
    (err) => console.log(`render failed: ${err.message}`),
  );
}, 100);
