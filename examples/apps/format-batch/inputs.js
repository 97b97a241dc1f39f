'use strict';
// The 31 files format.js checks, written by tools/fixtures.js into
// examples/apps/generated/format-batch/ (git-ignored): 30 small modules in a
// sloppy style prettier would rewrite, and one it cannot parse.
//
// The modules are the ones the corpus was first measured with, byte for byte:
// their step counts and tables come from the Mersenne Twister seeded with 7,
// drawn the way Python's random.randint draws (a generator written in Python
// made them first), so traces of format.js stay comparable across sessions.
const fs = require('node:fs');
const path = require('node:path');

// MT19937 with Python's seeding of a small integer (init_by_array([seed])).
function twister(seed) {
  const mt = new Uint32Array(624);
  let index = 624;
  const mul = (a, b) => Math.imul(a, b) >>> 0;
  mt[0] = 19650218;
  for (let i = 1; i < 624; i++) mt[i] = (mul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i) >>> 0;
  let i = 1;
  for (let k = 624; k > 0; k--) {
    mt[i] = ((mt[i] ^ mul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1664525)) + seed) >>> 0;
    if (++i >= 624) { mt[0] = mt[623]; i = 1; }
  }
  for (let k = 623; k > 0; k--) {
    mt[i] = ((mt[i] ^ mul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1566083941)) - i) >>> 0;
    if (++i >= 624) { mt[0] = mt[623]; i = 1; }
  }
  mt[0] = 0x80000000;
  function next() {
    if (index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = (mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
      }
      index = 0;
    }
    let y = mt[index++];
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    return (y ^ (y >>> 18)) >>> 0;
  }
  // randint(lo, hi): the top bits of one draw, redrawn while out of range.
  return (lo, hi) => {
    const n = hi - lo + 1;
    const bits = 32 - Math.clz32(n);
    for (;;) {
      const r = next() >>> (32 - bits);
      if (r < n) return lo + r;
    }
  };
}

const VERBS = ['load', 'validate', 'format', 'sync', 'render', 'split', 'index', 'save', 'merge', 'count'];
const NOUNS = ['invoice', 'order', 'customer', 'report', 'session', 'ticket', 'metric', 'payment', 'shipment', 'account'];
const cap = (s) => s[0].toUpperCase() + s.slice(1);

function module_(i, steps, table) {
  const verb = VERBS[i % 10];
  const noun = NOUNS[i % 10];
  const defaults = `${noun}Defaults`;
  const fn = `${verb}${cap(noun)}`;
  let text = `'use strict'
// ${verb} ${noun}s for the batch fixture (${i + 1} of 30)

const ${defaults} = { id : 0, name:'', tags : [ ], created : null, limit:${10 + i} }

function ${fn}( items , options = {} ){
  const limit = options.limit||${defaults}.limit
  const out = []
  for (let i=0;i<items.length && out.length<limit;i++){
    const item = items[i]
    if(!item || typeof item.id !== 'number') { continue }
    out.push({ ...${defaults}, ...item, tags: (item.tags||[]).map(t=>String(t).toLowerCase()) })
  }
  return out
}

`;
  for (let s = 0; s < steps; s++) {
    text += `export function ${verb}Step${s}(value, factor = ${s + 1}) {
  if (value == null) return ${s};
  return Array.isArray(value) ? value.map((v) => v * factor + ${s}) : value * factor + ${s};
}

`;
  }
  if (table) text += `const table = [${table.join(', ')}]\n`;
  return { name: `${verb}-${noun}-${String(i).padStart(2, '0')}.js`, text: `${text}module.exports = { ${fn}, ${defaults} }\n` };
}

const BROKEN = `// A file someone half-edited: prettier cannot parse it.
module.exports = {
  retries: 3,
  backoff: (attempt) => attempt * 100
  timeoutMs: 5000,
};
`;

// Writes the 31 files into dir (made if missing); returns their names.
function writeInputs(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const randint = twister(7);
  const files = [{ name: 'broken-legacy-config.js', text: BROKEN }];
  for (let i = 0; i < 30; i++) {
    const steps = randint(3, 8);
    const table = i % 2 === 0 ? Array.from({ length: 40 }, () => randint(0, 999)) : null;
    files.push(module_(i, steps, table));
  }
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.text);
  return files.map((f) => f.name);
}

module.exports = { writeInputs };
if (require.main === module) console.log(writeInputs(process.argv[2] || path.join(__dirname, '..', 'generated', 'format-batch')).length);
