'use strict';
// DEFECT (unhandled-rejection): an async function is registered as an
// EventEmitter listener. emit() calls it and drops the promise it returns,
// so when sendReceipt() throws there is no handler. Run with
// --unhandled-rejections=warn: the process survives, prints a warning and
// exits with status 0, and the receipt is silently never sent.
// Why it is a defect: EventEmitter does not await listeners; errors thrown
// after the first await of an async listener are unhandled rejections.
// Fix: catch inside the listener (try/catch around the body), or use
// new EventEmitter({ captureRejections: true }) with an 'error' listener.
const EventEmitter = require('events');

const customers = new Map([[1, 'ada@example.com']]);
const orders = new EventEmitter();

function lookupEmail(customer) {
  return new Promise((resolve) => setTimeout(() => resolve(customers.get(customer)), 5));
}

orders.on('created', async function sendReceipt(order) {
  const address = await lookupEmail(order.customer);
  if (!address) throw new Error(`no e-mail address for customer ${order.customer}`);
  console.log(`receipt for order ${order.id} sent`);
});

orders.emit('created', { id: 100, customer: 1 });
orders.emit('created', { id: 101, customer: 2 });
setTimeout(() => console.log('orders processed'), 30);
