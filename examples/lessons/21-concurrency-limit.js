// A pool running at most two tasks at a time
const jobs = [['A', 100], ['B', 10], ['C', 10], ['D', 10], ['E', 20]];
const wait = (ms) => new Promise((res) => setTimeout(res, ms));
async function worker(id) {
  while (jobs.length) {
    const [name, ms] = jobs.shift();
    console.log(`worker ${id} starts ${name}`);
    await wait(ms);
    console.log(`worker ${id} done ${name}`);
  }
}
Promise.all([worker(1), worker(2)]).then(() => console.log('all jobs done'));
