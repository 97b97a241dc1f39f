'use strict';
// Prices a basket against a price source (a remote service in production,
// 20 ms per lookup).
const defect = process.env.APP_DEFECT || '';

async function priceBasket(skus, source) {
  let prices;
  if (defect === 'sequential') {
    prices = [];
    for (const sku of skus) {
      prices.push(await source.price(sku)); // looptrace-expect(sequential): sequential-await warning
    }
  } else {
    prices = await Promise.all(skus.map((sku) => source.price(sku)));
  }
  return prices.reduce((sum, p) => sum + p, 0);
}
module.exports = { priceBasket };
