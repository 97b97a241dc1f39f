// Promise.race and Promise.any
const wait = (ms, v, fail) => new Promise((res, rej) => setTimeout(() => (fail ? rej(new Error(v)) : res(v)), ms));
Promise.race([wait(300, 'tortoise'), wait(40, 'hare')]).then((v) => console.log('race won by ' + v));
Promise.race([wait(200, 'late'), wait(5, 'early failure', true)]).catch((e) => console.log('race lost: ' + e.message));
Promise.any([wait(70, 'first failure', true), wait(100, 'first success')]).then((v) => console.log('any: ' + v));
Promise.any([wait(130, 'a', true), wait(160, 'b', true)]).catch((e) => console.log('any failed: ' + e.errors.length + ' errors'));
console.log('started');
