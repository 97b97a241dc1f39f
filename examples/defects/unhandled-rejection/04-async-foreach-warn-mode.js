'use strict';
// DEFECT (unhandled-rejection): items.forEach(async function importItem ...)
// - forEach ignores the promises its async callback returns, so when one item fails
// validation the rejection has no handler. Run with
// --unhandled-rejections=warn: Node prints a warning and the program keeps
// going (and even claims success), exit status 0.
// Why it is a defect: the failure is lost; the program reports "imported"
// although one item was rejected.
// Fix: await Promise.all(items.map(importItem)) inside try/catch (or a
// for...of loop with await), so a failure reaches a handler.

const stock = new Map();
const items = [{ sku: 'A-1', qty: 3 }, { sku: 'B-2', qty: -1 }, { sku: 'C-3', qty: 7 }];

items.forEach(async function importItem(item) {
  await null; // e.g. a lookup first
  if (item.qty < 0) throw new Error(`item ${item.sku} has a negative quantity`);
  stock.set(item.sku, item.qty);
});

setTimeout(() => console.log(`imported ${items.length} items`), 20);
