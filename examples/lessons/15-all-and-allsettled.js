// Promise.all and Promise.allSettled
const wait = (ms, v, fail) => new Promise((res, rej) => setTimeout(() => (fail ? rej(new Error(v)) : res(v)), ms));
Promise.all([wait(90, 'slow'), wait(10, 'fast')]).then((v) => console.log('all: ' + v.join(',')));
Promise.all([wait(60, 'ok'), wait(5, 'bad', true)]).catch((e) => console.log('all rejected: ' + e.message));
Promise.allSettled([wait(20, 'x'), wait(50, 'y', true)]).then((r) =>
  console.log('allSettled: ' + r.map((s) => s.status).join(',')));
console.log('started');
