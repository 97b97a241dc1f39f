// Timers run by due time, not by the order they were set
// (The delays are 100 ms apart or more: a slow start between two lines
// cannot make a later-set timer due first.)
setTimeout(() => console.log('300 ms'), 300);
setTimeout(() => console.log('100 ms'), 100);
setTimeout(() => console.log('0 ms'), 0);
setTimeout(() => console.log('200 ms'), 200);
console.log('timers set');
