// Errors skip then callbacks until a catch
Promise.resolve(1)
  .then(() => {
    console.log('step 1 throws');
    throw new Error('boom');
  })
  .then(() => console.log('step 2 (skipped?)'))
  .catch((e) => {
    console.log('caught ' + e.message);
    return 'recovered';
  })
  .then((v) => console.log('step 3 got ' + v))
  .finally(() => console.log('finally'));
console.log('chain built');
