'use strict';
// Generated fixtures the apps read (big enough to block): written once into
// examples/apps/generated/ (git-ignored), deterministic, rebuilt when missing
// or from an older generator.  `node tools/fixtures.js` or require() it.
const fs = require('node:fs');
const path = require('node:path');
const { writeInputs } = require('../format-batch/inputs.js');

const GENERATED = path.join(__dirname, '..', 'generated');
const VERSION = '3';

// A product catalog: ~8 MB of JSON, the kind of file a service loads
// "once" and then, by mistake, on every request.
function catalog() {
  const words = ['steel', 'oak', 'linen', 'amber', 'slate', 'cobalt', 'maple', 'ivory', 'onyx', 'sage'];
  const items = [];
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 60000; i++) {
    items.push({
      sku: `SKU-${String(i).padStart(6, '0')}`,
      name: `${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 3) % 10]} item`,
      price: Math.round(rand() * 100000) / 100,
      stock: Math.floor(rand() * 500),
      tags: [words[(i * 5) % 10], words[(i * 9) % 10]],
      dims: { w: Math.floor(rand() * 90), h: Math.floor(rand() * 90), d: Math.floor(rand() * 90) },
    });
  }
  return items;
}

function ensureFixtures() {
  const stamp = path.join(GENERATED, 'VERSION');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === VERSION) return GENERATED;
  fs.mkdirSync(GENERATED, { recursive: true });
  const items = catalog();
  fs.writeFileSync(path.join(GENERATED, 'catalog.json'), JSON.stringify({ generated: 'looptrace apps fixture', items }));
  // The first page of it: what a paginated store hands a request.
  fs.writeFileSync(path.join(GENERATED, 'catalog-page-1.json'), JSON.stringify({ page: 1, items: items.slice(0, 200) }));
  // format-batch's 31 small modules (one unparsable).
  writeInputs(path.join(GENERATED, 'format-batch'));
  fs.writeFileSync(stamp, VERSION);
  return GENERATED;
}

module.exports = { GENERATED, ensureFixtures };
if (require.main === module) console.log(ensureFixtures());
