// A plain generator runs only when asked
function* steps() {
  console.log('generator starts');
  yield 'a';
  console.log('generator resumes');
  yield 'b';
  console.log('generator ends');
}
const it = steps();
console.log('generator created');
console.log('next -> ' + it.next().value);
setTimeout(() => console.log('next -> ' + it.next().value), 0);
Promise.resolve().then(() => console.log('next -> ' + it.next().value));
