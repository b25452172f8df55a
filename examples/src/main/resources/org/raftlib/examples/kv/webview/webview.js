// The raftlib KV web view: polls /ui/state and redraws. No framework, no outside resources.
(function () {
  'use strict';
  var POLL_MS = 250;
  var MAX_EVENTS = 60;
  var previous = null;
  var lastState = null;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { e.textContent = attrs[k]; } else if (k === 'cls') { e.className = attrs[k]; }
      else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { e.appendChild(c); } });
    return e;
  }

  function termColour(term) {
    var hue = (term * 137.5 + 200) % 360;
    return 'hsl(' + hue.toFixed(0) + ', 55%, 42%)';
  }

  function event(text) {
    var list = document.getElementById('events');
    var now = new Date();
    var li = el('li', {}, [el('time', { text: now.toLocaleTimeString() }), document.createTextNode(text)]);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_EVENTS) { list.removeChild(list.lastChild); }
  }

  function leaderOf(state) {
    var best = null;
    state.nodes.forEach(function (n) {
      if (n.up && n.role === 'LEADER' && (!best || n.term > best.term)) { best = n; }
    });
    return best;
  }

  function diff(before, after) {
    var old = {};
    before.nodes.forEach(function (n) { old[n.id] = n; });
    after.nodes.forEach(function (n) {
      var o = old[n.id];
      if (!o) { event(n.id + ' joined the view'); return; }
      if (o.up && !n.up) { event(n.id + ' is down (' + (n.error || 'no answer') + ')'); return; }
      if (!o.up && n.up) { event(n.id + ' is up, ' + n.role + ' in term ' + n.term); return; }
      if (!n.up) { return; }
      if (n.role !== o.role) {
        event(n.id + ' became ' + n.role + ' in term ' + n.term + (n.role === 'LEADER' ? '' : ' (was ' + o.role + ')'));
      } else if (n.term !== o.term) {
        event(n.id + ' moved to term ' + n.term);
      }
    });
    var lb = leaderOf(before);
    var la = leaderOf(after);
    if (lb && la && lb.commitIndex !== la.commitIndex && la.commitIndex > lb.commitIndex) {
      var k = la.commitIndex - lb.commitIndex;
      event('commit index ' + lb.commitIndex + ' \u2192 ' + la.commitIndex + ' (' + k
        + (k === 1 ? ' entry' : ' entries') + ' committed by ' + la.id + ')');
    }
    if (lb && !la) { event('no leader known'); }
  }

  function field(label, value) {
    return [el('dt', { text: label }), el('dd', { text: value === undefined || value === null ? '-' : String(value) })];
  }

  function nodeCard(n, state) {
    var role = n.up ? n.role : 'DOWN';
    var card = el('article', { cls: 'node' + (n.up ? '' : ' down') + (role === 'LEADER' ? ' leader' : ''),
      'data-id': n.id, 'data-role': role, 'data-up': String(!!n.up) });
    var title = el('div', { cls: 'title' }, [el('span', { cls: 'name', text: n.id }),
      el('span', { cls: 'badge ' + role, text: role })]);
    card.appendChild(title);
    var dl = el('dl');
    var rows = n.up ? [
      field('term', n.term), field('leader', n.leader), field('commit', n.commitIndex),
      field('applied', n.appliedIndex), field('last index', n.lastLogIndex), field('snapshot', n.snapshotIndex),
      field('log size', n.logEntries + ' entries'),
      field('member', n.membership)
    ] : [field('error', n.error), field('address', n.http)];
    rows.forEach(function (pair) { pair.forEach(function (x) { dl.appendChild(x); }); });
    card.appendChild(dl);
    if (n.up) {
      var pct = n.electionTimeoutMillis > 0
        ? Math.min(100, 100 * n.electionElapsedMillis / n.electionTimeoutMillis) : 0;
      card.appendChild(el('div', { cls: 'timer', title: 'election timer' },
        [el('div', { style: 'width:' + pct + '%' })]));
      card.appendChild(el('div', { cls: 'hint', text: (role === 'LEADER' ? 'check quorum ' : 'election timer ')
        + n.electionElapsedMillis + ' / ' + n.electionTimeoutMillis + ' ms' }));
    }
    var buttons = el('div', { cls: 'buttons' });
    var transfer = el('button', { cls: 'transfer', 'data-id': n.id, text: 'make leader' });
    transfer.disabled = !n.up || role === 'LEADER' || !n.voter;
    transfer.onclick = function () {
      act('POST', '/ui/transfer/' + encodeURIComponent(n.id), null, 'transfer to ' + n.id);
    };
    buttons.appendChild(transfer);
    if (state.controls) {
      var stop = el('button', { cls: 'stop', 'data-id': n.id, text: 'stop' });
      stop.disabled = !n.up;
      stop.onclick = function () {
        act('POST', '/ui/nodes/' + encodeURIComponent(n.id) + '/stop', null, 'stop ' + n.id);
      };
      var restart = el('button', { cls: 'restart', 'data-id': n.id, text: 'restart' });
      restart.disabled = !!n.up;
      restart.onclick = function () {
        act('POST', '/ui/nodes/' + encodeURIComponent(n.id) + '/restart', null, 'restart ' + n.id);
      };
      buttons.appendChild(stop);
      buttons.appendChild(restart);
    }
    card.appendChild(buttons);
    return card;
  }

  function drawLogs(state) {
    var logs = document.getElementById('logs');
    var width = state.tail;
    var hi = 0;
    state.nodes.forEach(function (n) { if (n.up && n.lastLogIndex > hi) { hi = n.lastLogIndex; } });
    var lo = Math.max(1, hi - width + 1);
    var box = el('div');
    var idx = el('div', { cls: 'indexes' });
    for (var i = lo; i <= hi; i++) {
      idx.appendChild(el('span', { text: i % 5 === 0 || i === lo || i === hi ? String(i) : '' }));
    }
    box.appendChild(idx);
    state.nodes.forEach(function (n) {
      var row = el('div', { cls: 'logrow', 'data-id': n.id, 'data-last': String(n.up ? n.lastLogIndex : ''),
        'data-commit': String(n.up ? n.commitIndex : '') }, [el('span', { cls: 'label', text: n.id })]);
      for (var i = lo; i <= hi; i++) {
        var cell;
        if (!n.up || i > n.lastLogIndex) {
          cell = el('span', { cls: 'cell empty' });
        } else if (i < n.tailFrom) {
          cell = el('span', { cls: 'cell compacted', title: 'index ' + i + ': in a snapshot', text: 's' });
        } else {
          var term = n.tailTerms[i - n.tailFrom];
          var cls = 'cell' + (i > n.commitIndex ? ' uncommitted' : '') + (i === n.commitIndex ? ' commit' : '');
          cell = el('span', { cls: cls, text: String(term),
            title: 'index ' + i + ', term ' + term + (i > n.commitIndex ? ', not committed' : '') });
          cell.style.background = termColour(term);
        }
        row.appendChild(cell);
      }
      if (!n.up) { row.appendChild(el('span', { cls: 'hint', text: ' down' })); }
      box.appendChild(row);
    });
    logs.replaceChildren(box);
  }

  function draw(state) {
    var nodes = document.getElementById('nodes');
    nodes.replaceChildren.apply(nodes, state.nodes.map(function (n) { return nodeCard(n, state); }));
    drawLogs(state);
    var note = document.getElementById('controls-note');
    note.hidden = !!state.controls;
    note.textContent = state.controlsNote || '';
    var up = state.nodes.filter(function (n) { return n.up; }).length;
    document.getElementById('sampling').textContent = 'served by ' + state.servedBy + ' \u00b7 ' + up + ' of '
      + state.nodes.length + ' nodes up \u00b7 sampled ' + new Date(state.sampledAtMillis).toLocaleTimeString()
      + ' \u00b7 every ' + POLL_MS + ' ms';
  }

  function act(method, url, body, what) {
    var out = document.getElementById('action-result');
    out.textContent = what + '...';
    return fetch(url, { method: method, body: body }).then(function (r) {
      return r.text().then(function (t) {
        var msg = t;
        try { var j = JSON.parse(t); msg = j.error || j.message || t; } catch (e) { /* not JSON */ }
        var line = what + ': ' + (r.ok ? 'done' : 'HTTP ' + r.status + ' ' + msg);
        out.textContent = line;
        event(line);
      });
    }).catch(function (e) { out.textContent = what + ' failed: ' + e; event(what + ' failed: ' + e); });
  }

  function poll() {
    if (document.hidden) { setTimeout(poll, 1000); return; } // a background tab does not sample
    fetch('/ui/state', { cache: 'no-store' }).then(function (r) { return r.json(); }).then(function (state) {
      if (previous) { diff(previous, state); } else {
        var l = leaderOf(state);
        event('first sample: ' + (l ? l.id + ' leads term ' + l.term : 'no leader known'));
      }
      previous = state;
      lastState = state;
      draw(state);
    }).catch(function (e) {
      document.getElementById('sampling').textContent = 'cannot reach the server: ' + e;
    }).finally(function () { setTimeout(poll, POLL_MS); });
  }

  document.getElementById('put-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var key = document.getElementById('put-key').value;
    var value = document.getElementById('put-value').value;
    act('PUT', '/ui/kv/' + encodeURIComponent(key), value, 'write ' + key + '=' + value);
  });
  window.raftlibWebView = { state: function () { return lastState; } };
  poll();
})();
