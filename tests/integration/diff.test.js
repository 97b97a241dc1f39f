'use strict';
// `looptrace diff BASE.db NEW.db` on real traces of one program before and
// after a planted regression (tests/fixtures/release.js, RELEASE=2: a 120 ms
// computation at line 19 in every tenth request), and its CI gates.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { FIXTURES, looptrace, record, tmpdir } = require('./lib');

let base, again, regressed;
test.before(() => {
  const rec = (env) => {
    const r = record(['node', 'release.js'], { cwd: FIXTURES, env: { ...process.env, ...env } });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.db;
  };
  base = rec({ RELEASE: '1' });
  again = rec({ RELEASE: '1' });
  regressed = rec({ RELEASE: '2' });
});

function diffJson(a, b, extra = []) {
  const r = looptrace(['diff', '--format', 'json', ...extra, a, b]);
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
}

test('the regression is a new finding at its line, its callbacks the most changed site', () => {
  const { status, json } = diffJson(base, regressed);
  assert.strictEqual(status, 0);
  const fresh = json.findings.new.filter((f) => f.severity !== 'info');
  assert.strictEqual(fresh.length, 1, JSON.stringify(json.findings));
  assert.strictEqual(fresh[0].kind, 'blocking-task');
  assert.match(fresh[0].location.file, /release\.js$/);
  assert.strictEqual(fresh[0].location.line, 19);
  assert.ok(fresh[0].duration_ms >= 100, 'the report\'s own JSON finding, figures included');
  assert.deepStrictEqual(json.findings.fixed.filter((f) => f.severity !== 'info'), []);
  const [top] = json.sites;
  assert.strictEqual(top.file, 'release.js', 'relative to the main script');
  assert.ok(top.change_ms > 250, `top site changed by ${top.change_ms} ms`);
  assert.strictEqual(top.base_count, top.new_count, 'the same callbacks, matched');
  assert.ok(json.figures.busy_timer_ms.new > json.figures.busy_timer_ms.base + 250);
  assert.strictEqual(json.figures.findings_warning.new - json.figures.findings_warning.base, 1);
  assert.strictEqual(json.lag_histogram.base.length, json.lag_histogram.new.length);
});

test('gates: a regression fails the build, the same release twice does not', () => {
  // An absolute growth gate: the planted regression adds ~360 ms of timer work,
  // while the same release twice varies by tens of ms on a loaded machine (a
  // relative gate on its ~11 ms of timer work once tripped in CI at +121%).
  const gates = ['--fail-on-regress', 'new:warning,busy_timer_ms>+200'];
  const bad = looptrace(['diff', ...gates, base, regressed]);
  assert.strictEqual(bad.status, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /^looptrace: regression: new:warning: 1 new finding, first warning blocking-task at .*release\.js:19$/m);
  assert.match(bad.stderr, /^looptrace: regression: busy_timer_ms>\+200: busy_timer_ms went from/m);
  assert.match(bad.stdout, /REGRESSED +new:warning/);
  const same = looptrace(['diff', ...gates, base, again]);
  assert.strictEqual(same.status, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /ok +new:warning/);
  // the reverse direction: the regression is fixed, nothing new
  const { status, json } = diffJson(regressed, base, gates);
  assert.strictEqual(status, 0);
  assert.strictEqual(json.findings.fixed.filter((f) => f.kind === 'blocking-task' && f.location.line === 19).length, 1);
  assert.deepStrictEqual(json.gates.map((g) => g.regressed), [false, false]);
});

test('bad gates and operands: one line, exit status 2', () => {
  for (const [args, re] of [
    [['--fail-on-regress', 'p99_lagg>+20%', base, again], /no figure called 'p99_lagg'/],
    [['--fail-on-regress', 'p99_lag>20%', base, again], /a percentage is a change/],
    [['--fail-on-regress', 'new:fatal', base, again], /info, warning or error/],
    [['--fail-on-regress', 'elu>+x', base, again], /expected a number/],
    [[base], /two traces are needed/],
    [[base, again, regressed], /two traces at a time/],
    [[base, '/nonexistent/trace.db'], /nonexistent/],
  ]) {
    const r = looptrace(['diff', ...args]);
    assert.strictEqual(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.strictEqual(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('the HTML page: both histograms and timelines overlaid, the findings, no script', () => {
  const out = path.join(tmpdir(), 'diff.html');
  const r = looptrace(['diff', '--format', 'html', '-o', out, '--fail-on-regress', 'new:warning', base, regressed]);
  assert.strictEqual(r.status, 1, r.stderr);
  const html = fs.readFileSync(out, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.doesNotMatch(html, /<script/i);
  const histogram = html.match(/<svg id="lag-overlay"[\s\S]*?<\/svg>/)[0];
  assert.ok((histogram.match(/<rect class="base"/g) || []).length >= 12);
  assert.ok((histogram.match(/<rect class="new"/g) || []).length >= 12);
  const timeline = html.match(/<svg id="busy-overlay"[\s\S]*?<\/svg>/)[0];
  assert.strictEqual((timeline.match(/<polyline class="(base|new)"/g) || []).length, 2);
  assert.match(html, /<td class="new-f">new<\/td><td>warning<\/td><td>blocking-task<\/td><td><code>[^<]*release\.js:19<\/code>/);
  assert.match(html, /<li class="worse">REGRESSED: new:warning: 1 new finding/);
});
