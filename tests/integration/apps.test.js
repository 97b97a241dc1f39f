'use strict';
// The application corpus (examples/apps): real programs on pinned npm
// packages (express 5, fastify 5, axios, prettier, `npm test` over node
// --test, a piscina pool), each recorded for real under the node in
// LOOPTRACE_TEST_NODE, once per variant.  The report must hold exactly what
// was planted: every planted defect (oracle.json, derived from the
// `looptrace-expect` markers) found with its kind, at least its severity and
// the user's file:line (±1) as its location; nothing else at warning or
// error (clean variants: nothing at all at warning or error).  A run that
// is not exactly right is recorded a second time, which decides.
//
// Prints a precision/recall table per kind and writes it to
// tests/artifacts/apps-table.md (one section per Node version).
// LOOPTRACE_APPS_ONLY=app[/variant][,app[/variant]...] runs a subset.
const test = require('node:test');
const { before } = test;
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { SOURCE_DIR, TEST_NODE, testNodeEnv, record, looptrace, run } = require('./lib');

const APPS = path.join(SOURCE_DIR, 'examples/apps');
const ARTIFACTS = path.join(SOURCE_DIR, 'tests/artifacts');
const oracle = require(path.join(APPS, 'tools/oracle.js'));
const { ensureFixtures } = require(path.join(APPS, 'tools/fixtures.js'));

const KINDS = ['blocking-task', 'unhandled-rejection', 'leaked-handle', 'sequential-await'];
const RANK = { info: 0, warning: 1, error: 2 };
const only = (process.env.LOOPTRACE_APPS_ONLY || '').split(',').filter(Boolean);
const selected = (app, variant) => only.length === 0
  || only.some((sel) => sel === app || sel === `${app}/${variant}`);

const nodeVersion = run(TEST_NODE, ['--version']).stdout.trim();

// npm ci into examples/apps when node_modules is missing or was installed
// from another lock file (the same stamp scripts/setup.sh writes).
function ensureInstalled() {
  const lock = fs.readFileSync(path.join(APPS, 'package-lock.json'), 'utf8');
  const stamp = path.join(APPS, 'node_modules/.looptrace-installed-lock');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === lock) return;
  const r = run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: APPS, timeout: 600000 });
  assert.strictEqual(r.status, 0, `npm ci in examples/apps failed: ${r.stderr}`);
  fs.writeFileSync(stamp, lock);
}

function brief(f) {
  const where = f.location ? `${path.relative(APPS, f.location.file)}:${f.location.line}` : 'no location';
  const thread = f.thread_name ? `, ${f.thread_name}` : '';
  return `${f.severity} ${f.kind} at ${where} (pid ${f.pid}${thread}): ${String(f.message).slice(0, 160)}`;
}

// Matches the findings of one run against the planted defects.  Each
// finding serves at most one planted defect.
function evaluate(appDir, expect, findings) {
  const used = new Set();
  const planted = [];
  for (const want of expect) {
    const file = path.join(appDir, want.file);
    const sameKind = findings.filter((f) => f.kind === want.kind && !used.has(f));
    const placed = sameKind.filter((f) => f.location && f.location.file === file
      && Math.abs(f.location.line - want.line) <= 1);
    const atLine = placed.find((f) => RANK[f.severity] >= RANK[want.severity]);
    if (atLine || placed.length) {
      used.add(atLine || placed[0]);
      planted.push({ want, outcome: atLine ? 'at-line' : 'weak', finding: atLine || placed[0] });
      continue;
    }
    const elsewhere = sameKind.sort((a, b) => RANK[b.severity] - RANK[a.severity])[0];
    if (elsewhere) used.add(elsewhere);
    planted.push({ want, outcome: elsewhere ? 'elsewhere' : 'missed', finding: elsewhere || null });
  }
  const loud = findings.filter((f) => !used.has(f) && RANK[f.severity] >= RANK.warning);
  return { planted, loud };
}

// Records one variant of an app and judges its report.
function runCase(app, appDir, spec, variant) {
  const command = [...(variant.command || spec.command)];
  if (command[0] === 'node') command[0] = TEST_NODE;
  const extra = variant.duration ? ['--duration', String(variant.duration)] : [];
  const env = testNodeEnv(variant.env);
  if (!('APP_DEFECT' in variant.env)) delete env.APP_DEFECT;
  if (!('APP_STAY' in variant.env)) delete env.APP_STAY;
  const r = record(command, { cwd: appDir, extra, env });
  const rep = looptrace(['report', '--format', 'json', r.db]);
  assert.strictEqual(rep.status, 0, `report failed: ${rep.stderr}`);
  const { planted, loud } = evaluate(appDir, variant.expect, JSON.parse(rep.stdout).findings);
  const problems = [];
  if (r.status !== variant.exit_status) problems.push(`exit status ${r.status}, expected ${variant.exit_status}; stderr: ${r.stderr.slice(-300)}`);
  for (const p of planted) {
    if (p.outcome === 'at-line') continue;
    const want = `${p.want.severity} ${p.want.kind} at ${app}/${p.want.file}:${p.want.line}`;
    if (p.outcome === 'weak') problems.push(`planted ${want}, reported at its line but only as ${brief(p.finding)}`);
    else problems.push(p.finding ? `planted ${want}, reported as ${brief(p.finding)}` : `planted ${want}, not reported`);
  }
  for (const f of loud) problems.push(`not planted: ${brief(f)}`);
  return { planted, loud, problems };
}

const COUNTS = () => ({ planted: 0, atLine: 0, weak: 0, elsewhere: 0, missed: 0, falseClean: 0, falseDefect: 0 });
const rows = Object.fromEntries(KINDS.map((k) => [k, COUNTS()]));
const row = (kind) => rows[kind] || (rows[kind] = COUNTS());
const cases = [];

before(() => {
  ensureInstalled();
  ensureFixtures();
});

test('every oracle.json matches the looptrace-expect markers of its app', () => {
  for (const app of oracle.appNames()) assert.deepStrictEqual(oracle.check(app), [], `run: node examples/apps/tools/oracle.js --write`);
});

for (const app of oracle.appNames()) {
  const spec = oracle.readOracle(app);
  const appDir = path.join(APPS, app);
  for (const [name, variant] of Object.entries(spec.variants)) {
    if (!selected(app, name)) continue;
    test(`${app}/${name}`, (t) => {
      // A busy machine can stretch a short callback past the blocking
      // threshold once; a real false positive or a miss repeats.  So a run
      // that is not exactly right is recorded once more, and the second run
      // is the one counted and judged.
      let result = runCase(app, appDir, spec, variant);
      if (result.problems.length) result = runCase(app, appDir, spec, variant);
      const { planted, loud, problems } = result;
      const clean = variant.expect.length === 0;
      for (const p of planted) {
        const counts = row(p.want.kind);
        counts.planted++;
        counts[{ 'at-line': 'atLine', weak: 'weak', elsewhere: 'elsewhere', missed: 'missed' }[p.outcome]]++;
      }
      for (const f of loud) row(f.kind)[clean ? 'falseClean' : 'falseDefect']++;
      cases.push({ name: `${app}/${name}`, planted, loud, problems });
      // A planted defect the oracle lists under known_misses (with why) is
      // reported in the table and as a diagnostic, not as a failure; every
      // other problem fails the test.
      const known = (variant.known_misses || []).map((m) => `planted ${m.severity} ${m.kind} at ${app}/${m.file}:${m.line},`);
      const unknown = problems.filter((p) => !known.some((k) => p.startsWith(k)));
      for (const p of problems) if (!unknown.includes(p)) t.diagnostic(`known miss: ${p}`);
      for (const m of variant.known_misses || []) t.diagnostic(`known miss ${m.kind} at ${m.file}:${m.line}: ${m.why}`);
      assert.deepStrictEqual(unknown, [], `${app}/${name} under ${nodeVersion} (twice in a row)`);
    });
  }
}

function table() {
  const lines = [
    `Node ${nodeVersion}, looptrace ${path.relative(SOURCE_DIR, require('./lib').LOOPTRACE)}, ${new Date().toISOString().slice(0, 10)}`,
    '',
    '| kind | planted | found at the user line | at the line, too weak | found elsewhere | missed | false warnings/errors, clean variants | false warnings/errors, defect variants |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const total = COUNTS();
  const cells = (c) => `${c.planted} | ${c.atLine} | ${c.weak} | ${c.elsewhere} | ${c.missed} | ${c.falseClean} | ${c.falseDefect}`;
  for (const [kind, c] of Object.entries(rows)) {
    lines.push(`| ${kind} | ${cells(c)} |`);
    for (const k of Object.keys(total)) total[k] += c[k];
  }
  lines.push(`| all | ${cells(total)} |`);
  const passed = cases.filter((c) => c.loud.length === 0 && c.planted.every((p) => p.outcome === 'at-line')).length;
  lines.push('', `${passed} of ${cases.length} runs exactly right (recall at the user line ${total.planted ? Math.round((100 * total.atLine) / total.planted) : 0}%).`,
    'Found at the user line: the finding\'s location is the marked line (±1) with at least the planted severity; '
    + 'too weak: there, but at a lower severity; elsewhere: a finding of that kind with another or no location; '
    + 'false: any other finding at warning or error.');
  const wrong = cases.filter((c) => c.problems.length);
  if (wrong.length) {
    lines.push('', 'What was wrong, per run:', '');
    for (const c of wrong) for (const p of c.problems) lines.push(`- ${c.name}: ${p.replace(/\s+/g, ' ')}`);
  }
  return lines.join('\n');
}

test('precision/recall table', () => {
  const text = table();
  console.log(`\n${text}\n`);
  if (only.length) return; // a subset is not the table
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'apps-table.md');
  const major = nodeVersion.split('.')[0];
  const sections = new Map();
  if (fs.existsSync(file)) {
    for (const part of fs.readFileSync(file, 'utf8').split(/^## /m).slice(1)) {
      sections.set(part.slice(0, part.indexOf('\n')).trim(), part.slice(part.indexOf('\n') + 1).trim());
    }
  }
  sections.set(`Node ${major}`, text);
  const body = [...sections.keys()].sort().map((key) => `## ${key}\n\n${sections.get(key)}\n`).join('\n');
  fs.writeFileSync(file, `# looptrace on examples/apps\n\n${body}`);
  assert.ok(cases.length > 0);
});
