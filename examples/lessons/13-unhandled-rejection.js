// An unhandled rejection is reported after the microtasks drain
process.on('unhandledRejection', (reason) => {
  console.log('unhandledRejection: ' + reason.message);
});
Promise.reject(new Error('nobody catches me'));
Promise.resolve().then(() => console.log('job 1')).then(() => console.log('job 2'));
setTimeout(() => console.log('timer'), 0);
console.log('script ends');
