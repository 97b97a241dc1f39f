// lesson.js — the lesson page (reports/lesson_page.c): predict the output,
// then step through the recorded order.  Everything from the program is
// read from the JSON data element and put into the page with textContent,
// never as markup.
'use strict';
(function () {
  const D = JSON.parse(document.getElementById('lesson-data').textContent);
  const steps = D.steps;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const PREDICT_MAX = 30;
  const OUTPUT_SHOWN = 200;
  const WINDOW = 7;

  // --- the output, line by line, each with the step that printed it -------
  function splitLines(text) {
    if (!text) return [];
    const parts = text.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  const lines = []; // {text, step, fd}
  const firstLineOf = []; // index in lines of each step's first stdout line
  steps.forEach((s, i) => {
    firstLineOf[i] = lines.length;
    for (const t of splitLines(s.out)) lines.push({ text: t, step: i, fd: 1 });
  });
  const bySeq = new Map(steps.map((s, i) => [s.seq, i]));

  // --- source pane -----------------------------------------------------------
  const codeLines = []; // [source][line-1] -> li
  function renderSources() {
    const box = $('source');
    D.sources.forEach((src, k) => {
      const h = el('h3', 'file', src.file);
      box.appendChild(h);
      const ol = el('ol', 'code');
      ol.setAttribute('aria-label', 'source of ' + src.file);
      codeLines[k] = src.lines.map((text, n) => {
        const li = el('li');
        li.id = 'src-' + k + '-' + (n + 1);
        li.appendChild(el('span', 'no', String(n + 1)));
        li.appendChild(el('code', null, text));
        ol.appendChild(li);
        return li;
      });
      box.appendChild(ol);
    });
    if (!D.sources.length) box.appendChild(el('p', 'note', 'The program\'s source was not readable when the page was made.'));
  }

  // The string literals of a line of code, template literals cut at ${...}.
  const literalRe = /'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|`((?:\\.|[^`\\])*)`/g;
  function literals(code) {
    const out = [];
    let m;
    literalRe.lastIndex = 0;
    while ((m = literalRe.exec(code))) {
      const body = m[1] !== undefined ? m[1] : m[2] !== undefined ? m[2] : m[3];
      for (const piece of body.split(/\$\{[^}]*\}/)) {
        const p = piece.replace(/\\n/g, '').trim();
        if (p.length >= 2) out.push(p);
      }
    }
    return out;
  }
  const literalCache = [];
  // The source line most likely to have printed `text`: all of its string
  // literals appear in the text, the longest such match wins, then the
  // line closest to `near`.
  function printingLine(text, source, near) {
    const src = D.sources[source];
    if (!src || !text.trim()) return 0;
    if (!literalCache[source]) literalCache[source] = src.lines.map(literals);
    let best = 0, bestScore = 0, bestDist = Infinity;
    literalCache[source].forEach((pieces, n) => {
      if (!pieces.length || !pieces.every((p) => text.includes(p))) return;
      let score = pieces.reduce((a, p) => a + p.length, 0);
      if (/console\.|\.write\(|print/.test(src.lines[n])) score += 2;
      const dist = near ? Math.abs(n + 1 - near) : 0;
      if (score > bestScore || (score === bestScore && dist < bestDist)) {
        best = n + 1; bestScore = score; bestDist = dist;
      }
    });
    return bestScore >= Math.min(3, text.trim().length) ? best : 0;
  }

  let marked = [];
  function highlight(i) {
    for (const li of marked) li.classList.remove('ran', 'site');
    marked = [];
    const s = steps[i];
    const mark = (source, line, cls) => {
      const li = codeLines[source] && codeLines[source][line - 1];
      if (!li) return null;
      li.classList.add(cls);
      marked.push(li);
      return li;
    };
    const source = s.source >= 0 ? s.source : 0;
    let first = null;
    for (const t of splitLines(s.out).concat(splitLines(s.err).slice(0, 1))) {
      const n = printingLine(t, source, s.line) || (source !== 0 ? printingLine(t, 0, 0) : 0);
      const li = n && mark(n && printingLine(t, source, s.line) ? source : 0, n, 'ran');
      first = first || li;
    }
    const site = s.source >= 0 && s.line ? mark(s.source, s.line, 'site') : null;
    const target = first || site;
    if (target) target.scrollIntoView({ block: 'nearest' });
  }

  // --- predict -----------------------------------------------------------------
  const real = lines.slice(0, PREDICT_MAX);
  let guess = null; // texts in the learner's order, once checked
  function hash(s) {
    let h = 2166136261;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
    return h >>> 0;
  }
  function shuffled() {
    const order = real.map((l, k) => ({ text: l.text, key: hash(l.text + '#' + k) }));
    order.sort((a, b) => a.key - b.key);
    if (order.length > 1 && order.every((o, k) => o.text === real[k].text)) order.push(order.shift());
    return order.map((o) => o.text);
  }
  const guessList = $('guess');
  function guessItems() { return Array.from(guessList.children); }
  function renumber() {
    guessItems().forEach((li, k) => {
      li.querySelector('.pos').textContent = String(k + 1);
      li.setAttribute('aria-label', 'line ' + (k + 1) + ': ' + li.dataset.text);
    });
  }
  function move(li, by) {
    if (guess) return;
    const items = guessItems();
    const k = items.indexOf(li);
    const to = k + by;
    if (to < 0 || to >= items.length) return;
    if (by < 0) guessList.insertBefore(li, items[to]);
    else guessList.insertBefore(li, items[to].nextSibling);
    renumber();
    li.focus();
    $('score').textContent = '"' + li.dataset.text + '" moved to position ' + (to + 1) + '.';
  }
  let dragged = null;
  function renderGuess() {
    for (const text of shuffled()) {
      const li = el('li', 'guess-line');
      li.tabIndex = 0;
      li.draggable = true;
      li.dataset.text = text;
      li.appendChild(el('span', 'pos'));
      li.appendChild(el('code', 'text', text));
      const up = el('button', 'move', '\u2191');
      up.type = 'button';
      up.tabIndex = -1;
      up.setAttribute('aria-label', 'move up');
      up.addEventListener('click', () => move(li, -1));
      const down = el('button', 'move', '\u2193');
      down.type = 'button';
      down.tabIndex = -1;
      down.setAttribute('aria-label', 'move down');
      down.addEventListener('click', () => move(li, 1));
      li.appendChild(up);
      li.appendChild(down);
      li.appendChild(el('span', 'verdict'));
      li.addEventListener('keydown', (e) => {
        const items = guessItems();
        const k = items.indexOf(li);
        if ((e.altKey || e.ctrlKey) && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
          move(li, e.key === 'ArrowUp' ? -1 : 1);
        } else if (e.key === 'ArrowUp' && k > 0) {
          items[k - 1].focus();
        } else if (e.key === 'ArrowDown' && k + 1 < items.length) {
          items[k + 1].focus();
        } else {
          return;
        }
        e.preventDefault();
        e.stopPropagation();
      });
      li.addEventListener('dragstart', (e) => {
        if (guess) return e.preventDefault();
        dragged = li;
        e.dataTransfer.effectAllowed = 'move';
        e.dataTransfer.setData('text/plain', text);
      });
      li.addEventListener('dragover', (e) => { if (dragged) e.preventDefault(); });
      li.addEventListener('drop', (e) => {
        e.preventDefault();
        if (!dragged || dragged === li) return;
        const items = guessItems();
        if (items.indexOf(dragged) < items.indexOf(li)) guessList.insertBefore(dragged, li.nextSibling);
        else guessList.insertBefore(dragged, li);
        dragged = null;
        renumber();
      });
      li.addEventListener('dragend', () => { dragged = null; });
      guessList.appendChild(li);
    }
    renumber();
    const note = $('predict-note');
    if (!real.length) {
      note.textContent = 'This program writes nothing to standard output: step through it to see what ran when.';
      note.hidden = false;
      $('check').hidden = true;
    } else if (lines.length > PREDICT_MAX) {
      note.textContent = 'The program prints ' + lines.length + ' lines; the exercise has the first ' + PREDICT_MAX + '.';
      note.hidden = false;
    }
  }

  function check() {
    guess = guessItems().map((li) => li.dataset.text);
    let right = 0;
    guessItems().forEach((li, k) => {
      const ok = guess[k] === real[k].text;
      right += ok ? 1 : 0;
      li.classList.add(ok ? 'right' : 'wrong');
      li.draggable = false;
      li.querySelector('.verdict').textContent = ok ? '\u2713 right' : '\u2717 was line ' + realPosition(guess[k], k);
      for (const b of li.querySelectorAll('button')) b.disabled = true;
    });
    $('score').textContent = right + ' of ' + real.length + ' lines in the right place. Now step through the real order.';
    startReveal();
  }
  // where a guessed text really was (the first unclaimed occurrence)
  function realPosition(text, near) {
    let best = -1;
    real.forEach((l, k) => {
      if (l.text === text && (best < 0 || Math.abs(k - near) < Math.abs(best - near))) best = k;
    });
    return best + 1;
  }

  // --- reveal ----------------------------------------------------------------
  let current = 0;
  function label(s) {
    const out = splitLines(s.out)[0];
    if (out !== undefined) return '"' + out + '"';
    if (s.callback) return s.callback + '()';
    if (s.function) return s.function + '()';
    if (s.line) return 'line ' + s.line;
    return s.type || s.queue;
  }
  const queueNames = { main: 'main script', nextTick: 'nextTick', microtask: 'microtask (promise job)', timer: 'timer',
    immediate: 'setImmediate (check)', io: 'I/O (poll)', close: 'close', exit: 'exit' };
  function stepTitle(s) { return '#' + s.seq + ' ' + (queueNames[s.queue] || s.queue) + ' \u00b7 ' + label(s); }

  function renderRunning(i) {
    const ol = $('running').querySelector('.body');
    ol.textContent = '';
    const chain = [];
    for (let k = i; k >= 0 && chain.length < 12;) {
      chain.push(steps[k]);
      const p = bySeq.get(steps[k].parent);
      if (p === undefined) break;
      k = p;
    }
    for (const s of chain) ol.appendChild(el('li', 'q-' + s.queue, stepTitle(s)));
  }
  function renderQueues(i) {
    const box = $('queues').querySelector('.body');
    box.textContent = '';
    const seq = steps[i].seq;
    const waiting = {};
    for (let k = i + 1; k < steps.length; k++) {
      const s = steps[k];
      if (s.enqueued > 0 && s.enqueued <= seq && s.parent === 0) (waiting[s.queue] = waiting[s.queue] || []).push(s);
    }
    let any = false;
    for (const q of ['nextTick', 'microtask', 'timer', 'immediate', 'io', 'close']) {
      if (!waiting[q]) continue;
      any = true;
      const h = el('h4', 'q-' + q, queueNames[q] + ' (' + waiting[q].length + ')');
      const ol = el('ol');
      for (const s of waiting[q].slice(0, 8)) ol.appendChild(el('li', null, stepTitle(s)));
      if (waiting[q].length > 8) ol.appendChild(el('li', 'more', '\u2026 ' + (waiting[q].length - 8) + ' more'));
      box.appendChild(h);
      box.appendChild(ol);
    }
    if (!any) box.appendChild(el('p', 'empty', 'Nothing queued that the program will run later.'));
  }
  function renderOutput(i) {
    const ol = $('output').querySelector('.body');
    ol.textContent = '';
    const end = i + 1 < steps.length ? firstLineOf[i + 1] : lines.length;
    const start = Math.max(0, end - OUTPUT_SHOWN);
    if (start > 0) ol.appendChild(el('li', 'more', '\u2026 ' + start + ' earlier lines'));
    ol.start = start + 1;
    for (let k = start; k < end; k++) {
      const l = lines[k];
      const li = el('li', l.step === i ? 'new' : null);
      li.appendChild(el('code', null, l.text));
      if (guess && k < guess.length) {
        if (guess[k] === l.text) {
          li.classList.add('right');
          li.appendChild(el('span', 'verdict', ' \u2713 as you predicted'));
        } else {
          li.classList.add('wrong');
          const why = el('span', 'verdict', ' \u2717 you predicted "' + guess[k] + '" here');
          li.appendChild(why);
          if (l.step === i) li.appendChild(el('p', 'explain', 'It came now because: ' + steps[l.step].why));
        }
      }
      ol.appendChild(li);
    }
    const errs = splitLines(steps[i].err);
    if (errs.length) {
      const li = el('li', 'stderr');
      li.appendChild(el('code', null, '(stderr) ' + errs.slice(0, 6).join('\n')));
      ol.appendChild(li);
    }
    if (!ol.children.length) ol.appendChild(el('li', 'empty', 'nothing yet'));
  }
  function renderWindow(i) {
    const ol = $('steps-window').querySelector('.body');
    ol.textContent = '';
    const from = Math.max(0, i - WINDOW), to = Math.min(steps.length, i + WINDOW + 1);
    ol.start = from + 1;
    for (let k = from; k < to; k++) {
      const li = el('li', 'q-' + steps[k].queue);
      const b = el('button', 'jump', stepTitle(steps[k]));
      b.type = 'button';
      if (k === i) b.setAttribute('aria-current', 'step');
      b.addEventListener('click', () => go(k));
      li.appendChild(b);
      ol.appendChild(li);
    }
  }
  function go(i) {
    if (!steps.length) return;
    current = Math.max(0, Math.min(steps.length - 1, i));
    const s = steps[current];
    $('step-label').textContent = 'Step ' + (current + 1) + ' of ' + steps.length + ': ' + stepTitle(s);
    $('why-text').textContent = s.why;
    const link = $('why-link');
    link.href = '#g-' + s.concept;
    const dt = document.getElementById('g-' + s.concept);
    link.textContent = 'Glossary: ' + (dt ? dt.textContent : s.concept);
    $('scrub').value = String(current);
    $('prev').disabled = $('first').disabled = current === 0;
    $('next').disabled = $('last').disabled = current === steps.length - 1;
    renderRunning(current);
    renderQueues(current);
    renderOutput(current);
    renderWindow(current);
    highlight(current);
  }
  function startReveal() {
    $('reveal').hidden = false;
    $('check').disabled = true;
    $('skip').disabled = true;
    const scrub = $('scrub');
    scrub.max = String(Math.max(0, steps.length - 1));
    go(0);
    $('next').focus();
  }

  function keys(e) {
    if ($('reveal').hidden || e.altKey || e.ctrlKey || e.metaKey) return;
    const t = e.target;
    if (t && (t.tagName === 'INPUT' || t.classList.contains('guess-line'))) return;
    const to = { ArrowRight: current + 1, n: current + 1, ArrowLeft: current - 1, p: current - 1,
      Home: 0, End: steps.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    go(to);
  }

  renderSources();
  renderGuess();
  $('check').addEventListener('click', check);
  $('skip').addEventListener('click', startReveal);
  $('next').addEventListener('click', () => go(current + 1));
  $('prev').addEventListener('click', () => go(current - 1));
  $('first').addEventListener('click', () => go(0));
  $('last').addEventListener('click', () => go(steps.length - 1));
  $('scrub').addEventListener('input', (e) => go(Number(e.target.value)));
  document.addEventListener('keydown', keys);
  if (D.truncated) {
    const note = $('predict-note');
    note.textContent = (note.textContent ? note.textContent + ' ' : '') +
      'The recording was cut after ' + steps.length + ' steps.';
    note.hidden = false;
  }
  if (!real.length) $('skip').textContent = 'Step through the program';
  // "// Node 22: ..." lines in the program's opening comment: where Node
  // versions differ, the page says so.
  const main = D.sources[0] ? D.sources[0].lines : [];
  const versionNotes = [];
  for (const line of main) {
    if (!/^\s*\/\//.test(line)) break;
    const m = /^\s*\/\/\s*(Node (?:\d+|versions?)\b.*)$/.exec(line);
    if (m) versionNotes.push(m[1]);
  }
  if (versionNotes.length) {
    const note = el('p', 'note');
    note.id = 'version-note';
    note.textContent = 'This order depends on the Node version: ' + versionNotes.join(' ') +
      (D.runtime ? ' (this page was recorded with ' + D.runtime + ').' : '');
    $('predict').insertBefore(note, $('guess'));
  }
})();
