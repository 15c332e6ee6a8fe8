// The Herald admin page: signs in (POST /admin/api/session), then reads /admin/api/... with the
// session token in an Authorization header (never a cookie, never the URL) and refreshes the
// counters every second. Plain JavaScript, no build step.
(function () {
  'use strict';
  var KEY = 'herald.admin.token';
  var token = sessionStorage.getItem(KEY);
  var timers = [];
  var $ = function (id) { return document.getElementById(id); };

  function api(method, path, body) {
    var init = { method: method, headers: { 'Authorization': 'Bearer ' + token }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch('/admin/api/' + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401) { signOut('Your session ended; sign in again.'); }
        if (!r.ok) { throw new Error((j.error && j.error.message) || ('HTTP ' + r.status)); }
        return j;
      });
    });
  }

  function text(el, s) { el.textContent = s; }
  function cell(tr, s, numeric) {
    var td = document.createElement('td');
    td.textContent = s;
    if (numeric) { td.className = 'n'; }
    tr.appendChild(td);
    return td;
  }
  function fmt(n) { return Number(n).toLocaleString('en-US'); }
  function duration(s) {
    if (s < 120) { return s + ' s'; }
    if (s < 7200) { return Math.floor(s / 60) + ' min'; }
    return Math.floor(s / 3600) + ' h';
  }

  function overview() {
    return api('GET', 'overview').then(function (o) {
      text($('node'), o.node);
      text($('f-connections'), fmt(o.connections));
      text($('f-channels'), fmt(o.activeChannels));
      text($('f-parked'), fmt(o.parkedPolls));
      text($('f-broker'), (o.brokerUp ? 'up' : 'DOWN') + ' (' + o.broker + ')');
      text($('f-uptime'), duration(o.uptimeSeconds));
      var body = $('transports').tBodies[0];
      body.textContent = '';
      o.transports.forEach(function (t) {
        var tr = document.createElement('tr');
        tr.dataset.transport = t.name;
        cell(tr, t.name);
        cell(tr, fmt(t.connections), true).dataset.k = 'connections';
        cell(tr, fmt(t.subscriptions), true).dataset.k = 'subscriptions';
        cell(tr, t.inPerSecond.toFixed(1), true).dataset.k = 'inPerSecond';
        cell(tr, t.outPerSecond.toFixed(1), true).dataset.k = 'outPerSecond';
        cell(tr, fmt(t.messagesIn), true).dataset.k = 'messagesIn';
        cell(tr, fmt(t.messagesOut), true).dataset.k = 'messagesOut';
        body.appendChild(tr);
      });
      text($('rate-note'), 'Rates over the last ' + o.rateSeconds + ' s; counters from ' + o.countersSource + '.');
    });
  }

  function nodes() {
    return api('GET', 'nodes').then(function (r) {
      var body = $('nodes').tBodies[0];
      body.textContent = '';
      r.nodes.forEach(function (n) {
        var d = typeof n.details === 'object' && n.details ? n.details : {};
        var tr = document.createElement('tr');
        tr.dataset.node = n.id;
        cell(tr, n.id + (n.self ? ' (this node)' : ''));
        cell(tr, d.connections === undefined ? '-' : fmt(d.connections), true);
        cell(tr, d.activeChannels === undefined ? '-' : fmt(d.activeChannels), true);
        cell(tr, Math.round(n.seenMillisAgo / 1000) + ' s ago', true);
        body.appendChild(tr);
      });
      text($('nodes-error'), '');
    }, function (e) { text($('nodes-error'), e.message); });
  }

  function busy() {
    return api('GET', 'channels?top=10').then(function (r) {
      var body = $('busy').tBodies[0];
      body.textContent = '';
      r.channels.forEach(function (c) {
        var tr = document.createElement('tr');
        tr.dataset.channel = c.channel;
        var a = document.createElement('a');
        a.className = 'channel';
        a.textContent = c.channel;
        a.addEventListener('click', function () { $('inspect-channel').value = c.channel; inspect(); });
        tr.appendChild(document.createElement('td')).appendChild(a);
        cell(tr, fmt(c.publications), true);
        cell(tr, fmt(c.deliveries), true);
        body.appendChild(tr);
      });
      text($('busy-note'), r.channels.length ? 'Over the last ' + r.windowSeconds + ' to ' + 2 * r.windowSeconds + ' s on this node.' : 'No traffic lately.');
    });
  }

  function inspect() {
    var ch = $('inspect-channel').value.trim();
    if (!ch) { return; }
    text($('inspect-error'), '');
    api('GET', 'channels/' + encodeURIComponent(ch) + '?recent=20').then(function (r) {
      $('inspect-out').hidden = false;
      $('inspect-out').dataset.channel = r.channel;
      text($('inspect-head'), r.position);
      text($('inspect-size'), fmt(r.historyMessages));
      text($('inspect-bytes'), fmt(r.historyBytes));
      text($('inspect-subs'), fmt(r.subscribersHere));
      var list = $('inspect-recent');
      list.textContent = '';
      r.recent.slice().reverse().forEach(function (m) {
        var li = document.createElement('li');
        li.dataset.offset = m.offset;
        var data = m.json !== undefined ? m.json : '[' + m.contentType + ', ' + m.bytes + ' bytes] ' + m.base64;
        li.textContent = '#' + m.offset + ' ' + new Date(m.time).toISOString().slice(11, 23) + ' ' + m.event + ' ' + data;
        list.appendChild(li);
      });
    }, function (e) { $('inspect-out').hidden = true; text($('inspect-error'), e.message); });
  }

  function publish() {
    var ch = $('publish-channel').value.trim();
    var body = { json: $('publish-json').value };
    var ev = $('publish-event').value.trim();
    if (ev) { body.event = ev; }
    text($('publish-result'), 'publishing...');
    $('publish-result').className = 'mono';
    api('POST', 'channels/' + encodeURIComponent(ch), body).then(function (r) {
      text($('publish-result'), 'published at ' + r.epoch + ':' + r.offset);
      $('publish-result').className = 'mono ok';
      if ($('inspect-channel').value.trim() === ch) { inspect(); }
    }, function (e) {
      text($('publish-result'), e.message);
      $('publish-result').className = 'mono error';
    });
  }

  function signedIn() {
    $('signin').hidden = true;
    $('dashboard').hidden = false;
    $('signout').hidden = false;
    overview(); nodes(); busy();
    timers.push(setInterval(overview, 1000));
    timers.push(setInterval(nodes, 3000));
    timers.push(setInterval(busy, 2000));
  }

  function signOut(why) {
    timers.forEach(clearInterval);
    timers = [];
    token = null;
    sessionStorage.removeItem(KEY);
    $('dashboard').hidden = true;
    $('signout').hidden = true;
    $('signin').hidden = false;
    text($('node'), '');
    text($('signin-error'), why || '');
  }

  $('signin-form').addEventListener('submit', function (e) {
    e.preventDefault();
    text($('signin-error'), '');
    fetch('/admin/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: $('secret').value }),
      cache: 'no-store'
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { throw new Error((j.error && j.error.message) || ('HTTP ' + r.status)); }
        return j;
      });
    }).then(function (j) {
      token = j.token;
      sessionStorage.setItem(KEY, token);
      $('secret').value = '';
      signedIn();
    }, function (err) { text($('signin-error'), err.message); });
  });
  $('signout').addEventListener('click', function () { signOut(''); });
  $('inspect-form').addEventListener('submit', function (e) { e.preventDefault(); inspect(); });
  $('publish-form').addEventListener('submit', function (e) { e.preventDefault(); publish(); });

  if (token) { signedIn(); }
}());
