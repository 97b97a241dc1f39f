// looptrace HTML report: the step-through and the timeline's clicks.
// Compiled into the binary by cmake/embed.cmake.  Everything from the trace
// is put into the page as text (textContent), never as markup.
(function () {
  'use strict';
  var QUEUES = ['nextTick', 'microtask', 'timer', 'immediate', 'io', 'close'];
  var MAX_PER_QUEUE = 12;
  var MAX_CONSOLE_CHUNKS = 400;

  var dataNode = document.getElementById('lt-steps');
  var data;
  try {
    data = JSON.parse(dataNode ? dataNode.textContent : '{}');
  } catch (e) {
    data = { steps: [] };
  }
  var steps = Array.isArray(data.steps) ? data.steps : [];
  var stacks = data.stacks && typeof data.stacks === 'object' ? data.stacks : {};
  var bySeq = new Map();
  steps.forEach(function (s, i) { bySeq.set(s.seq, i); });

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function queueClass(q) { return 'q-' + (/^[A-Za-z]+$/.test(q) ? q : 'unknown'); }
  function nameOf(s) { return s.callback || s.type || '(anonymous)'; }
  function frameText(f) {
    var where = f.file ? f.file + ':' + f.line + ':' + f.column : '(no file)';
    return (f.function ? f.function + '  ' : '') + where;
  }
  function fmtMs(v) { return (Math.round(v * 1000) / 1000).toString(); }

  var pos = $('step-pos'), slider = $('step-slider'), note = $('step-note');
  var nowBody = document.querySelector('#step-now .body');
  var stackBody = document.querySelector('#step-stack .body');
  var originBody = document.querySelector('#step-origin .body');
  var queuesBody = document.querySelector('#step-queues .body');
  var consoleBody = document.querySelector('#step-console .body');
  var buttons = { first: $('step-first'), prev: $('step-prev'), next: $('step-next'), last: $('step-last') };
  if (!pos || !slider || !nowBody) return;

  var current = -1;
  var highlighted = null;

  var notes = [];
  if (data.truncated) {
    notes.push('Showing the first ' + steps.length + ' of ' + data.dispatches + ' dispatches.');
  }
  if (data.hidden) {
    notes.push(data.hidden + " dispatches of Node's own housekeeping (no output, not scheduled by the program's code) are left out, as in `looptrace replay`.");
  }
  var baseNote = notes.join(' ');
  note.textContent = baseNote;

  if (!steps.length) {
    pos.textContent = 'no dispatches to step through';
    Object.keys(buttons).forEach(function (k) { if (buttons[k]) buttons[k].disabled = true; });
    slider.disabled = true;
    return;
  }
  slider.max = String(steps.length - 1);

  function renderNow(s) {
    clear(nowBody);
    var head = el('div', 'now-callback');
    head.appendChild(el('span', 'pill ' + queueClass(s.queue), s.queue));
    head.appendChild(document.createTextNode(nameOf(s)));
    nowBody.appendChild(head);
    var facts = [s.type];
    if (s.phase) facts.push('phase ' + s.phase);
    facts.push('iteration ' + s.iteration);
    facts.push('at ' + fmtMs(s.t_ms) + ' ms');
    facts.push('ran ' + fmtMs(s.ms) + ' ms');
    facts.push('pid ' + s.pid + (s.tid !== s.pid ? ' tid ' + s.tid : ''));
    nowBody.appendChild(el('div', null, facts.join(' \u00b7 ')));
    if (s.location) nowBody.appendChild(el('div', null, 'scheduled at ' + frameText(s.location)));
    if (s.enqueued && bySeq.has(s.enqueued)) {
      nowBody.appendChild(el('div', null, 'queued while #' + s.enqueued + ' (' + nameOf(steps[bySeq.get(s.enqueued)]) + ') ran'));
    }
  }

  function renderStack(s) {
    clear(stackBody);
    var chain = [s], seen = 0;
    var p = s.parent;
    while (p && seen++ < 64) {
      var k = bySeq.get(p);
      if (k === undefined) {
        chain.push({ seq: p, queue: 'unknown', callback: "(Node's internal dispatch #" + p + ')', internal: true });
        break;
      }
      chain.push(steps[k]);
      p = steps[k].parent;
    }
    chain.forEach(function (c, i) {
      var li = el('li', c.internal ? 'internal' : null);
      li.appendChild(el('span', 'pill ' + queueClass(c.queue), c.queue));
      li.appendChild(document.createTextNode(nameOf(c) + '  #' + c.seq + (i === 0 ? '  \u2190 running' : '')));
      stackBody.appendChild(li);
    });
    stackBody.appendChild(el('li', 'internal', 'the event loop (' + (chain[chain.length - 1].phase || 'main') + ' phase)'));
  }

  function renderOrigin(s) {
    clear(originBody);
    var frames = s.stack !== null && stacks[s.stack] && Array.isArray(stacks[s.stack]) ? stacks[s.stack] : [];
    if (!frames.length) {
      originBody.appendChild(el('li', 'internal', s.location ? frameText(s.location) : 'no stack captured for this callback (stacks are sampled)'));
      return;
    }
    var internal = function (f) { return !f.file || /^node:|^internal\//.test(f.file); };
    // the frames above the program's own call are Node's scheduling machinery
    var skip = 0;
    while (skip < frames.length - 1 && internal(frames[skip])) skip++;
    if (skip) originBody.appendChild(el('li', 'internal', '(' + skip + " frames inside Node's timers / async_hooks)"));
    frames.slice(skip).forEach(function (f) {
      originBody.appendChild(el('li', internal(f) ? 'internal' : null, frameText(f)));
    });
  }

  function renderQueues(i) {
    var s = steps[i];
    var waiting = {};
    QUEUES.forEach(function (q) { waiting[q] = []; });
    for (var j = i + 1; j < steps.length; j++) {
      var t = steps[j];
      if (t.pid !== s.pid || t.tid !== s.tid || !(t.queue in waiting)) continue;
      // queued during a dispatch up to this one; queued outside any
      // dispatch: by the time this one started
      var queued = t.enqueued ? t.enqueued <= s.seq : typeof t.created_ms === 'number' && t.created_ms <= s.t_ms;
      if (queued) waiting[t.queue].push(t);
    }
    clear(queuesBody);
    if (data.attached) {
      queuesBody.appendChild(el('p', 'none', 'An attached (eBPF) trace does not see callbacks being queued, only run: the queues cannot be shown.'));
      return;
    }
    QUEUES.forEach(function (q) {
      var col = el('div', 'queue-col');
      col.setAttribute('data-queue', q);
      col.appendChild(el('h4', queueClass(q), q + ' (' + waiting[q].length + ')'));
      var ul = el('ul');
      waiting[q].slice(0, MAX_PER_QUEUE).forEach(function (t) { ul.appendChild(el('li', null, nameOf(t) + ' #' + t.seq)); });
      if (waiting[q].length > MAX_PER_QUEUE) ul.appendChild(el('li', 'more', '+ ' + (waiting[q].length - MAX_PER_QUEUE) + ' more'));
      col.appendChild(ul);
      queuesBody.appendChild(col);
    });
  }

  function renderConsole(i) {
    clear(consoleBody);
    var chunks = [];
    for (var j = 0; j <= i; j++) {
      var out = steps[j].output || [];
      for (var k = 0; k < out.length; k++) chunks.push({ text: out[k].text, fd: out[k].fd, latest: j === i });
    }
    if (chunks.length > MAX_CONSOLE_CHUNKS) chunks = chunks.slice(chunks.length - MAX_CONSOLE_CHUNKS);
    if (!chunks.length) consoleBody.appendChild(el('span', null, '(nothing printed yet)'));
    chunks.forEach(function (c) {
      consoleBody.appendChild(el('span', (c.latest ? 'latest' : '') + (c.fd === 2 ? ' stderr' : ''), c.text));
    });
    consoleBody.scrollTop = consoleBody.scrollHeight;
  }

  function topLevel(s) {
    var guard = 0;
    while (s.parent && bySeq.has(s.parent) && guard++ < 64) s = steps[bySeq.get(s.parent)];
    return s.parent ? s.parent : s.seq;
  }

  function highlight(s) {
    if (highlighted) highlighted.classList.remove('current');
    highlighted = document.querySelector('#timeline rect[data-seq="' + topLevel(s) + '"]');
    if (highlighted) highlighted.classList.add('current');
  }

  function go(i) {
    if (i < 0) i = 0;
    if (i > steps.length - 1) i = steps.length - 1;
    current = i;
    var s = steps[i];
    pos.textContent = 'step ' + (i + 1) + ' of ' + steps.length + ' \u00b7 dispatch #' + s.seq;
    pos.setAttribute('data-step', String(i + 1));
    slider.value = String(i);
    buttons.first.disabled = buttons.prev.disabled = i === 0;
    buttons.next.disabled = buttons.last.disabled = i === steps.length - 1;
    note.textContent = baseNote;
    renderNow(s);
    renderStack(s);
    renderOrigin(s);
    renderQueues(i);
    renderConsole(i);
    highlight(s);
  }

  buttons.first.addEventListener('click', function () { go(0); });
  buttons.prev.addEventListener('click', function () { go(current - 1); });
  buttons.next.addEventListener('click', function () { go(current + 1); });
  buttons.last.addEventListener('click', function () { go(steps.length - 1); });
  slider.addEventListener('input', function () { go(Number(slider.value)); });
  document.addEventListener('keydown', function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowRight') { go(current + 1); e.preventDefault(); }
    if (e.key === 'ArrowLeft') { go(current - 1); e.preventDefault(); }
  });
  var timeline = $('timeline');
  if (timeline) {
    timeline.addEventListener('click', function (e) {
      var box = e.target && e.target.closest ? e.target.closest('rect[data-seq]') : null;
      if (!box) return;
      var seq = Number(box.getAttribute('data-seq'));
      if (bySeq.has(seq)) {
        go(bySeq.get(seq));
        $('steps').scrollIntoView();
      } else {
        note.textContent = 'Dispatch #' + seq + ' is not in the step-through (Node\u2019s housekeeping, or past its first ' + steps.length + ' steps).';
      }
    });
  }
  go(0);
})();
