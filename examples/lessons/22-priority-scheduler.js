// A task scheduler with priorities and retries
const queue = [];
let running = false;
function schedule(name, priority, attempts, fn) {
  queue.push({ name, priority, attempts, fn });
  queue.sort((a, b) => b.priority - a.priority);
  if (!running) {
    running = true;
    setImmediate(runNext);
  }
}
async function runNext() {
  const task = queue.shift();
  if (!task) {
    running = false;
    console.log('queue empty');
    return;
  }
  try {
    await task.fn();
    console.log(`${task.name} ok`);
  } catch (e) {
    task.attempts--;
    console.log(`${task.name} failed (${task.attempts} left)`);
    if (task.attempts > 0) setTimeout(() => schedule(task.name, task.priority, task.attempts, task.fn), 100);
  }
  setImmediate(runNext);
}
let flaky = 0;
schedule('low', 1, 1, async () => {});
schedule('high', 9, 1, async () => {});
schedule('flaky', 5, 3, async () => { if (++flaky < 2) throw new Error('try again'); });
console.log('scheduled');
