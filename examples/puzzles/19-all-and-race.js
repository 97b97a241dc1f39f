// Puzzle 19 — Promise.race settles with the first timer, Promise.all waits
// for the last.
// Expected output:  race won by fast, all done fast,slow
const delay = (ms, v) => new Promise((r) => setTimeout(() => r(v), ms));
Promise.race([delay(20, 'slow'), delay(1, 'fast')]).then((v) => console.log('race won by', v));
Promise.all([delay(1, 'fast'), delay(20, 'slow')]).then((v) => console.log('all done', v.join(',')));
