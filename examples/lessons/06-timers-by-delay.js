// Timers run by due time, not by the order they were set
setTimeout(() => console.log('100 ms'), 100);
setTimeout(() => console.log('30 ms'), 30);
setTimeout(() => console.log('0 ms'), 0);
setTimeout(() => console.log('60 ms'), 60);
console.log('timers set');
