// async/await is promise jobs in disguise
async function task(name) {
  console.log(name + ' starts');
  await undefined;
  console.log(name + ' after first await');
  await undefined;
  console.log(name + ' after second await');
}
console.log('before calls');
task('A');
task('B');
console.log('after calls');
