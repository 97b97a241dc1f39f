'use strict';
// The oracle of an app is derived from its source, never typed by hand:
// every planted defect sits on a line ending with
//     // looptrace-expect(DEFECT): KIND SEVERITY
// where DEFECT is the APP_DEFECT value that turns the defect on, KIND the
// finding kind looptrace must report there and SEVERITY the least severity
// it must have.  oracle.json holds, per variant, how to run it (hand-written:
// env, duration, exit status) and the `expect` list derived from the markers.
//
//   node tools/oracle.js            check every app's oracle.json against its markers
//   node tools/oracle.js --write    rewrite the `expect` lists from the markers
const fs = require('node:fs');
const path = require('node:path');

const APPS = path.join(__dirname, '..');
const MARKER = /\/\/ looptrace-expect\(([\w-]+)\): ([\w-]+) (info|warning|error)\s*$/;
const LOOSE = /looptrace-expect/;

function sourceFiles(dir, rel = '') {
  const out = [];
  for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'fixture' || entry.name.startsWith('.')) continue;
    const sub = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(dir, sub));
    else if (/\.(c|m)?js$/.test(entry.name)) out.push(sub);
  }
  return out.sort();
}

// Every marker of one app: {defect, kind, file, line, severity}.  A line
// that mentions the marker without matching its grammar is an error.
function markers(app) {
  const dir = path.join(APPS, app);
  const found = [];
  for (const file of sourceFiles(dir)) {
    const lines = fs.readFileSync(path.join(dir, file), 'utf8').split('\n');
    lines.forEach((text, i) => {
      if (!LOOSE.test(text)) return;
      const m = MARKER.exec(text);
      if (!m) throw new Error(`${app}/${file}:${i + 1}: malformed looptrace-expect marker: ${text.trim()}`);
      found.push({ defect: m[1], kind: m[2], file, line: i + 1, severity: m[3] });
    });
  }
  return found;
}

function appNames() {
  return fs.readdirSync(APPS).filter((name) => fs.existsSync(path.join(APPS, name, 'oracle.json'))).sort();
}

function readOracle(app) {
  return JSON.parse(fs.readFileSync(path.join(APPS, app, 'oracle.json'), 'utf8'));
}

// The expect list of every variant, from the markers.  Every marker's
// defect must be planted by some variant (else it is dead).
function derive(app, oracle) {
  const all = markers(app);
  const result = {};
  const used = new Set();
  for (const [name, variant] of Object.entries(oracle.variants)) {
    const defect = (variant.env && variant.env.APP_DEFECT) || null;
    result[name] = all.filter((m) => m.defect === defect)
      .map(({ kind, file, line, severity }) => ({ kind, file, line, severity }));
    if (defect) used.add(defect);
    if (defect && result[name].length === 0) throw new Error(`${app}: variant ${name} plants ${defect} but no line is marked for it`);
  }
  for (const m of all) {
    if (!used.has(m.defect)) throw new Error(`${app}/${m.file}:${m.line}: no variant sets APP_DEFECT=${m.defect}`);
  }
  return result;
}

// Differences between oracle.json and its markers, as readable lines.
function check(app) {
  const oracle = readOracle(app);
  const want = derive(app, oracle);
  const problems = [];
  for (const [name, variant] of Object.entries(oracle.variants)) {
    const have = JSON.stringify(variant.expect || []);
    if (have !== JSON.stringify(want[name])) {
      problems.push(`${app}/oracle.json variant ${name}: expect ${have}, markers say ${JSON.stringify(want[name])}`);
    }
  }
  return problems;
}

function write(app) {
  const oracle = readOracle(app);
  const want = derive(app, oracle);
  for (const name of Object.keys(oracle.variants)) oracle.variants[name].expect = want[name];
  fs.writeFileSync(path.join(APPS, app, 'oracle.json'), `${JSON.stringify(oracle, null, 2)}\n`);
}

module.exports = { APPS, appNames, markers, readOracle, derive, check };

if (require.main === module) {
  const writing = process.argv.includes('--write');
  const apps = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  let bad = 0;
  for (const app of apps.length ? apps : appNames()) {
    if (writing) {
      write(app);
      continue;
    }
    for (const p of check(app)) {
      console.error(p);
      bad++;
    }
  }
  process.exit(bad ? 1 : 0);
}
