'use strict';
// `looptrace graph`: every puzzle drawn as SVG and PNG with Graphviz's
// libraries; the SVG has a cluster per loop iteration and phase and shows
// every line the program printed; program text is escaped.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, PUZZLES, looptrace, record, tmpdir } = require('./lib');

const xml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function draw(db, format, view = 'order') {
  const out = path.join(tmpdir(), `graph.${format}`);
  const r = looptrace(['graph', '--view', view, '--format', format, '-o', out, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  const m = /^looptrace: (\d+) (?:dispatches drawn in (\d+) (?:clusters|lanes)(?: on (\d+) queue lanes)?|resources and promises drawn)/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { data: fs.readFileSync(out), nodes: Number(m[1]), clusters: Number(m[2] || 0), lanes: Number(m[3] || 0) };
}

const puzzles = fs.readdirSync(PUZZLES).filter((f) => /^\d+.*\.js$/.test(f)).sort();

for (const file of puzzles) {
  test(`graph of ${file}`, () => {
    const r = record(['node', file], { cwd: PUZZLES });
    assert.strictEqual(r.status, 0);
    const svg = draw(r.db, 'svg');
    const text = svg.data.toString('utf8');
    assert.match(text, /^<\?xml/);
    assert.strictEqual((text.match(/class="cluster"/g) || []).length, svg.clusters);
    // a node per dispatch, plus a title per queue lane
    assert.strictEqual((text.match(/class="node"/g) || []).length, svg.nodes + svg.lanes);
    assert.ok(svg.lanes >= 1);
    const queues = new Set([...text.matchAll(/>#\d+ (\w+) · /g)].map((x) => x[1]));
    assert.strictEqual(svg.lanes, queues.size, 'a lane per queue drawn');
    for (const q of queues) assert.ok(text.includes(`>${q}</text>`), `a lane titled ${q}`);
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      assert.ok(text.includes(xml(`> ${line}`)), `the graph shows "${line}"`);
    }
    const png = draw(r.db, 'png');
    assert.deepStrictEqual([...png.data.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const tl = draw(r.db, 'svg', 'timeline');
    const tlText = tl.data.toString('utf8');
    // every top-level dispatch is a box, plus one label per lane
    assert.strictEqual((tlText.match(/class="node"/g) || []).length, tl.nodes + tl.clusters);
    assert.deepStrictEqual([...draw(r.db, 'png', 'timeline').data.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    const ca = draw(r.db, 'svg', 'causality');
    assert.ok(ca.nodes > 0, 'resources and promises drawn');
    assert.strictEqual((ca.data.toString('utf8').match(/class="node"/g) || []).length, ca.nodes);
  });
}

test('hostile names and output are escaped in SVG', () => {
  const r = record(['node', 'hostile.js'], { cwd: FIXTURES });
  const text = draw(r.db, 'svg').data.toString('utf8');
  assert.ok(!text.includes('<b>'), 'no markup from the program');
  assert.ok(text.includes('&lt;b&gt;'));
  assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text), 'no raw control characters');
});

test('bad graph options: one line, status 2', () => {
  const r = record(['node', '-e', 'console.log(1)']);
  for (const [args, message] of [
    [['graph', '--format', 'gif', r.db], /--format is svg, png, pdf or dot/],
    [['graph', '--view', 'pie', r.db], /--view/],
    [['graph', '--max-nodes', '0', r.db], /--max-nodes takes a positive number/],
    [['graph', '--from', 'x', r.db], /--from takes a dispatch number/],
    [['graph', path.join(tmpdir(), 'none.db')], /No such file/],
  ]) {
    const b = looptrace(args);
    assert.strictEqual(b.status, 2, args.join(' '));
    assert.match(b.stderr, message);
    assert.strictEqual(b.stderr.split('\n').length, 2);
  }
});

test('past --max-nodes nothing more is built: clusters stay within the nodes drawn', () => {
  const program = `let n = 0;
function next() { if (++n < 6000) (n % 2 ? setImmediate : setTimeout)(next); }
next();`;
  const r = record(['node', '-e', program]);
  assert.strictEqual(r.status, 0, r.stderr);
  const out = path.join(tmpdir(), 'bounded.svg');
  const g = looptrace(['graph', '--max-nodes', '50', '--all', '-o', out, r.db]);
  assert.strictEqual(g.status, 0, g.stderr);
  const m = /^looptrace: (\d+) dispatches drawn in (\d+) clusters on \d+ queue lanes, \d+ enqueue edges, \d+ collapsed, (\d+) left out/.exec(g.stderr);
  assert.ok(m, g.stderr);
  assert.ok(Number(m[1]) <= 50);
  assert.ok(Number(m[2]) <= Number(m[1]), `${m[2]} clusters for ${m[1]} nodes`);
  assert.ok(Number(m[3]) > 5000, 'the rest is counted as left out');
});

test('a short program\'s whole output is drawn, even ten lines in one callback', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'ten.js'), 'for (let i = 0; i < 10; i++) console.log("line " + i);\n');
  const r = record(['node', 'ten.js'], { cwd: dir });
  assert.strictEqual(r.status, 0, r.stderr);
  const text = draw(r.db, 'svg').data.toString('utf8');
  for (let i = 0; i < 10; i++) assert.ok(text.includes(xml(`> line ${i}`)), `line ${i} drawn`);
  assert.ok(!text.includes('> …'), 'nothing cut');
});
