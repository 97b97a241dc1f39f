// Returning a promise from a then callback delays the chain
Promise.resolve()
  .then(() => Promise.resolve('returned promise'))
  .then((v) => console.log(v));
Promise.resolve()
  .then(() => console.log('plain 1'))
  .then(() => console.log('plain 2'))
  .then(() => console.log('plain 3'))
  .then(() => console.log('plain 4'));
