// A rejection handled too late
process.on('unhandledRejection', () => console.log('unhandledRejection'));
process.on('rejectionHandled', () => console.log('rejectionHandled'));
const p = Promise.reject(new Error('late'));
setTimeout(() => {
  console.log('attaching catch');
  p.catch((e) => console.log('caught ' + e.message));
}, 10);
console.log('script ends');
