'use strict';
// Runs every program of the defect corpus under looptrace and under the
// tools people use today, classifies what each reports, and writes
// results.json and a Markdown table.  Usage: node bench/compare/run.js
const { spawnSync, spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const os = require('os');

const here = __dirname;
const root = path.resolve(here, '../..');
const defects = path.join(root, 'examples/defects');
const looptrace = process.env.LOOPTRACE || path.join(root, 'build/looptrace');
const expected = require(path.join(defects, 'expected.json'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'looptrace-compare-'));

// Run argv in the corpus folder; SIGINT it after `duration` seconds.
function run(argv, duration) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: defects, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d) => { stderr += d; });
    const timers = [];
    if (duration) timers.push(setTimeout(() => child.kill('SIGINT'), duration * 1000));
    timers.push(setTimeout(() => child.kill('SIGKILL'), 60000));
    child.on('close', (status) => { timers.forEach(clearTimeout); resolve({ status, stderr }); });
  });
}

const category = (program) => program.split('/')[0];

// "found" (right file:line), "found, no location", "missed"; negatives:
// "quiet" or "false alarm".
async function classify(entry) {
  const file = path.join(defects, entry.program);
  const want = entry.findings[0];
  const where = want ? `${entry.program.split('/')[1]}:${want.line}` : null;
  const negative = !want;
  const preload = (p) => ['node', '--require', path.join(here, p), ...entry.node_args, entry.program];
  const out = {};

  // Node's own output (warnings, crash reports)
  const plain = await run(['node', ...entry.node_args, entry.program], entry.duration);
  const nodeSaid = /UnhandledPromiseRejection|Unhandled|Warning|Error/.test(plain.stderr);
  if (negative) out.node = nodeSaid && /Unhandled|Rejection/.test(plain.stderr) ? 'false alarm' : 'quiet';
  else if (want.kind === 'unhandled-rejection' && nodeSaid) out.node = plain.stderr.includes(where) ? 'found' : 'found, no location';
  else out.node = 'missed';

  // why-is-node-running (only meaningful for runs that are ended)
  const why = await run(preload('preload-why.js'), entry.duration);
  const whySaid = why.stderr.includes('[why]');
  if (negative) out.why = 'quiet';
  else if (want.kind === 'leaked-handle' && whySaid) out.why = why.stderr.includes(where) ? 'found' : 'found, no location';
  else out.why = 'missed';

  // blocked-at
  const blocked = await run(preload('preload-blocked.js'), entry.duration);
  const reports = blocked.stderr.split('\n').filter((l) => l.startsWith('[blocked-at]'));
  if (negative) out.blocked = reports.length ? 'false alarm' : 'quiet';
  else if (want.kind === 'blocking-task' && reports.length) out.blocked = reports.some((l) => l.includes(where)) ? 'found' : 'found, no location';
  else out.blocked = 'missed';

  // monitorEventLoopDelay
  const eld = await run(preload('preload-eld.js'), entry.duration);
  const m = /\[eld\] max ([\d.]+)/.exec(eld.stderr);
  const max = m ? Number(m[1]) : 0;
  if (negative) out.eld = max >= 50 ? 'false alarm' : 'quiet';
  else if (want.kind === 'blocking-task' && max >= 50) out.eld = 'found, no location';
  else out.eld = 'missed';

  // looptrace
  const db = path.join(work, 'trace.db');
  fs.rmSync(db, { force: true });
  await run([looptrace, 'record', '-q', ...(entry.duration ? ['--duration', String(entry.duration)] : []), '-o', db, '--', 'node', ...entry.node_args, entry.program]);
  const rep = spawnSync(looptrace, ['report', '--format', 'json', db], { encoding: 'utf8' });
  const findings = rep.status === 0 ? JSON.parse(rep.stdout).findings : [];
  if (negative) out.looptrace = findings.some((f) => f.severity !== 'info') ? 'false alarm' : 'quiet';
  else {
    const same = findings.filter((f) => f.kind === want.kind);
    out.looptrace = same.some((f) => f.location && f.location.file === file && (want.line == null || f.location.line === want.line)) ? 'found'
      : same.length ? 'found, no location' : 'missed';
  }
  return out;
}

(async () => {
  const results = [];
  for (const entry of expected) {
    const r = await classify(entry);
    results.push({ program: entry.program, kind: entry.findings[0] ? entry.findings[0].kind : 'negative', ...r });
    process.stderr.write(`${entry.program}: ${JSON.stringify(r)}\n`);
  }
  fs.writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const tools = [['looptrace', 'looptrace'], ['node', "Node's warnings"], ['why', 'why-is-node-running'], ['blocked', 'blocked-at'], ['eld', 'monitorEventLoopDelay']];
  const cats = ['blocking-task', 'unhandled-rejection', 'leaked-handle', 'sequential-await', 'negative'];
  const lines = [`| corpus | ${tools.map((t) => t[1]).join(' | ')} |`, `| --- |${tools.map(() => ' --- |').join('')}`];
  for (const c of cats) {
    const rows = results.filter((r) => category(r.program) === c);
    const cell = (t) => {
      if (c === 'negative') return `${rows.filter((r) => r[t] === 'quiet').length}/${rows.length} quiet`;
      const found = rows.filter((r) => r[t].startsWith('found')).length;
      const located = rows.filter((r) => r[t] === 'found').length;
      return `${found}/${rows.length} found (${located} at the right line)`;
    };
    lines.push(`| ${c} (${rows.length}) | ${tools.map((t) => cell(t[0])).join(' | ')} |`);
  }
  console.log(lines.join('\n'));
  fs.rmSync(work, { recursive: true, force: true });
})();
