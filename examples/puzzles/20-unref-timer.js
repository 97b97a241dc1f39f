// Puzzle 20 — an unref'd timer does not keep the process alive: it never
// fires if nothing else is pending.
// Expected output:  short timer, (exit)
setTimeout(() => console.log('never: unref timer'), 1000).unref();
setTimeout(() => console.log('short timer'), 5);
