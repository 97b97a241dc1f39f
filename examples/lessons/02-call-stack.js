// The call stack: functions return in the reverse order they were called
function inner() {
  console.log('inner runs');
}
function middle() {
  console.log('middle starts');
  inner();
  console.log('middle ends');
}
function outer() {
  console.log('outer starts');
  middle();
  console.log('outer ends');
}
setTimeout(() => console.log('queued callback'), 0);
outer();
