// A pool running at most two tasks at a time
// Each job takes a number of event-loop turns (setImmediate) instead of
// milliseconds, so the order is the same on any machine.
const jobs = [['A', 10], ['B', 2], ['C', 2], ['D', 2], ['E', 3]];
const turns = (n) => new Promise((resolve) => {
  let done = 0;
  const step = () => (++done >= n ? resolve() : setImmediate(step));
  setImmediate(step);
});
async function worker(id) {
  while (jobs.length) {
    const [name, n] = jobs.shift();
    console.log(`worker ${id} starts ${name}`);
    await turns(n);
    console.log(`worker ${id} done ${name}`);
  }
}
Promise.all([worker(1), worker(2)]).then(() => console.log('all jobs done'));
