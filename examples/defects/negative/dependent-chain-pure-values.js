'use strict';
// NEGATIVE (looks like sequential-await, is not): buildOrder() awaits six
// steps in a row, and each step needs the result of the previous one
// (parse -> validate -> price -> discount -> tax -> format). None of them does
// I/O: they are async only by signature and resolve at once, so the awaits
// wait for nothing and there is nothing to run concurrently.
// Why it is fine: a dependent chain of already-resolved values cannot be
// parallelised and costs no waiting time.

async function parse(text) { return JSON.parse(text); }
async function validate(order) { if (!order.items.length) throw new Error('empty'); return order; }
async function price(order) { return { ...order, total: order.items.reduce((s, i) => s + i.price * i.qty, 0) }; }
async function discount(order) { return { ...order, total: order.total * (order.vip ? 0.9 : 1) }; }
async function tax(order) { return { ...order, total: Math.round(order.total * 1.2 * 100) / 100 }; }
async function format(order) { return `order for ${order.customer}: ${order.total.toFixed(2)}`; }

async function buildOrder(text) {
  const parsed = await parse(text);
  const valid = await validate(parsed);
  const priced = await price(valid);
  const discounted = await discount(priced);
  const taxed = await tax(discounted);
  return await format(taxed);
}

const input = JSON.stringify({ customer: 'Ada', vip: true, items: [{ price: 12.5, qty: 2 }, { price: 4, qty: 5 }] });
buildOrder(input).then((line) => console.log(line));
