'use strict';
// DEFECT (sequential-await): priceBasket() looks up the price of each of eight
// products with an await inside a for loop. Each lookup is a simulated
// database query that takes 20 ms (a timer), and the next one is only sent
// once the previous answer is back: ~160 ms for work that takes ~20 ms when
// the queries run together.
// Why it is a defect: the lookups are independent (none needs another's
// result), yet they are serialised by the await in the loop.
// Fix: const prices = await Promise.all(skus.map(queryPrice)), then sum.

const PRICES = { apple: 3, bread: 25, cheese: 80, dates: 45, eggs: 30, flour: 12, grapes: 40, honey: 65 };

async function priceBasket(skus) {
  let total = 0;
  for (const sku of skus) {
    const price = await new Promise((resolve) => setTimeout(() => resolve(PRICES[sku]), 20));
    total += price;
  }
  return total;
}

priceBasket(Object.keys(PRICES)).then((total) => console.log(`basket total: ${total}`));
