// Promise.race and Promise.any
// (The race with the shorter timer is set up first: a slow start can only
// delay the later lines' timers, never swap the two races' outputs.)
const wait = (ms, v, fail) => new Promise((res, rej) => setTimeout(() => (fail ? rej(new Error(v)) : res(v)), ms));
Promise.race([wait(200, 'late'), wait(5, 'early failure', true)]).catch((e) => console.log('race lost: ' + e.message));
Promise.race([wait(300, 'tortoise'), wait(40, 'hare')]).then((v) => console.log('race won by ' + v));
Promise.any([wait(70, 'first failure', true), wait(100, 'first success')]).then((v) => console.log('any: ' + v));
Promise.any([wait(130, 'a', true), wait(160, 'b', true)]).catch((e) => console.log('any failed: ' + e.errors.length + ' errors'));
console.log('started');
