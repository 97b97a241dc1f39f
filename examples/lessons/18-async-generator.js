// Async generators and for await
async function* numbers() {
  for (let i = 1; i <= 3; i++) {
    console.log('yield ' + i);
    yield i;
  }
}
(async () => {
  for await (const n of numbers()) console.log('got ' + n);
  console.log('loop done');
})();
Promise.resolve().then(() => console.log('other job'));
console.log('sync end');
