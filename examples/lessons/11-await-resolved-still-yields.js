// Awaiting an already resolved promise still yields
const ready = Promise.resolve('ready value');
async function reader() {
  console.log('reader awaits');
  const v = await ready;
  console.log('reader got ' + v);
}
reader();
console.log('caller continues');
ready.then(() => console.log('then on ready'));
