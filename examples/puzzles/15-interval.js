// Puzzle 15 — setInterval fires until cleared; each run is a timer task.
// Expected output:  tick 1, tick 2, tick 3, cleared
let n = 0;
const t = setInterval(() => {
  n += 1;
  console.log('tick', n);
  if (n === 3) {
    clearInterval(t);
    console.log('cleared');
  }
}, 5);
