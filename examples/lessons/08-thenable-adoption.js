// Awaiting a thenable costs extra jobs
const thenable = {
  then(resolve) {
    console.log('then() called');
    resolve('thenable value');
  },
};
async function useThenable() {
  const v = await thenable;
  console.log(v);
}
async function useNative() {
  await null;
  console.log('native step 1');
  await null;
  console.log('native step 2');
}
useThenable();
useNative();
console.log('sync done');
