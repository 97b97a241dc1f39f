// Run to completion: a callback never interrupts running code
// Question: the timer's delay is 0 ms and the loop below takes far longer.
// When does the timer's callback run?
setTimeout(() => console.log('timer fired'), 0);
const start = Date.now();
let spins = 0;
while (Date.now() - start < 30) spins++;
console.log('loop finished');
console.log('end of script');
