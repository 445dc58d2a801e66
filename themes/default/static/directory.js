/* Switchboard default theme: the directory's enhancements (home and
   department pages). The page works without this file; with it, the
   directory filters and searches, departments say whether they are open
   now, and spoken languages are named in the page's language. */
(function () {
  "use strict";

  var norm = function (s) {
    return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  };
  var words = function (s) { return (s || "").split(" ").filter(Boolean); };

  /* The page's strings, in its language (themes/default/i18n, `js_` keys):
     only the keys this file names, from the JSON island the page carries
     for it; `{name}` is filled from `vals`. */
  var STRINGS = {};
  var byId = function (id) { return document.getElementById(id); };
  try { STRINGS = JSON.parse(byId("sb-strings-directory").textContent); } catch (e) { /* no island: keys show */ }
  function tr(key, vals) {
    var text = STRINGS[key] || key;
    return text.replace(/\{(\w+)\}/g, function (m, name) { return vals && name in vals ? String(vals[name]) : m; });
  }
  var LANG = document.documentElement.lang || undefined;

  /* ---------- Directory filter and people search ---------- */
  /* The home page's filter narrows what the page lists. When the people
     are not on the page, the same box also searches the index the form's
     data-search names: fetched only once the visitor types, one file
     ("all") or, for a large organisation, the file of the query's first
     word's first two letters (folded as the builder folds names). */
  var chunkKey = function (word) {
    return Array.from(word).slice(0, 2).map(function (c) {
      return /[a-z0-9]/.test(c) ? c : "_" + c.codePointAt(0).toString(16);
    }).join("");
  };
  var loaded = {}, MAX_RESULTS = 50;
  function loadIndex(base, key) {
    if (!loaded[key]) {
      loaded[key] = fetch(base + key + ".json", { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : []; })
        .catch(function () { delete loaded[key]; return null; });
    }
    return loaded[key];
  }

  function initFilter() {
    var form = byId("directory-filter");
    var dir = byId("directory");
    if (!form || !dir) return;
    var q = form.elements.q, dept = form.elements.department,
      lang = form.elements.language, topic = form.elements.topic;
    var status = byId("filter-status");
    var empty = byId("filter-empty");
    var results = byId("search-results");
    var list = byId("search-results-list");
    var searchBase = form.dataset.search, root = form.dataset.root, chunked = form.dataset.searchChunked === "true";
    var peopleHere = form.dataset.peopleHere === "true";
    var sections = Array.from(dir.querySelectorAll(".department"));
    var total = dir.querySelectorAll(".contact").length;
    var timer = null, asked = 0;
    var val = function (el) { return el ? el.value : ""; };

    function showFound(entries, text, l) {
      list.textContent = "";
      var found = entries.filter(function (e) {
        return (!l || words(e.l).includes(l)) &&
          (norm(e.n).includes(text) || norm(e.r).includes(text));
      });
      found.slice(0, MAX_RESULTS).forEach(function (e) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = root + e.u;
        a.textContent = e.n;
        li.appendChild(a);
        var more = e.d === undefined ? results.dataset.departmentLabel : [e.r, e.d].filter(Boolean).join(STRINGS.list_separator || ", ");
        if (more) li.appendChild(document.createTextNode(" (" + more + ")"));
        list.appendChild(li);
      });
      results.hidden = found.length === 0;
      return found.length;
    }

    /* Searches the index; `then(count)` gets the number of results, or
       null when the index could not be loaded. */
    function search(text, l, then) {
      var first = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean)[0] || "";
      if (!first || (chunked && Array.from(first).length < 2)) { results.hidden = true; then(-1); return; }
      var mine = ++asked;
      loadIndex(searchBase, chunked ? chunkKey(first) : "all").then(function (entries) {
        if (mine !== asked) return;
        if (entries === null) { results.hidden = true; then(null); return; }
        then(showFound(entries, text, l));
      });
    }

    var last = null;
    function apply() {
      var text = norm(q.value), d = val(dept), l = lang.value, t = val(topic), shown = 0, depts = 0;
      /* `change` follows `input` when the box loses focus (to a result the
         visitor clicks): nothing changed, so the results must stay. */
      var now = [text, d, l, t].join("\n");
      if (now === last) return;
      last = now;
      sections.forEach(function (sec) {
        var ds = sec.dataset;
        var deptOk = (!d || ds.department === d) && (!t || words(ds.topics).includes(t));
        var heading = sec.querySelector("h2, h1");
        var deptText = norm(heading ? heading.textContent : "");
        var any = false;
        sec.querySelectorAll(".contact").forEach(function (c) {
          var ok = deptOk && (!l || words(c.dataset.languages).includes(l)) &&
            (!text || norm(c.dataset.name).includes(text) || deptText.includes(text));
          c.hidden = !ok;
          if (ok) { any = true; shown++; }
        });
        var hasContacts = sec.querySelector(".contact") !== null;
        sec.hidden = !(any || (!hasContacts && deptOk && (!l || words(ds.languages).includes(l)) &&
          (!text || deptText.includes(text))));
        if (!sec.hidden) depts++;
      });
      var filtering = text || d || l || t;
      var say = function (found) {
        var parts = [];
        if (filtering) parts.push(peopleHere ? tr("filter_status", { shown: shown, total: total }) : tr("filter_status_departments", { shown: depts, total: sections.length }));
        if (found === null) parts.push(tr("search_unavailable"));
        else if (found > MAX_RESULTS) parts.push(tr("search_found_many", { count: found, max: MAX_RESULTS }));
        else if (found > 0) parts.push(tr("search_found", { count: found }));
        else if (found === 0) parts.push(tr("search_none"));
        else if (text && chunked) parts.push(tr("search_two_letters"));
        status.textContent = parts.join(" ");
        empty.hidden = !(filtering && (peopleHere ? shown === 0 : depts === 0 && !(found > 0)));
      };
      if (!peopleHere && text) search(text, l, say);
      else { results.hidden = true; say(-1); }
    }
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
    form.addEventListener("change", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    form.hidden = false;
  }

  /* ---------- Open now ---------- */
  var WD = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };
  var zoned = {};
  function partsIn(tz, date) {
    var f = zoned[tz] || (zoned[tz] = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", weekday: "short", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit"
    }));
    var p = {};
    f.formatToParts(date).forEach(function (x) { p[x.type] = x.value; });
    return { wd: WD[p.weekday], ymd: p.year + "-" + p.month + "-" + p.day, min: (+p.hour % 24) * 60 + +p.minute };
  }
  function addDays(ymd, n) {
    var d = new Date(ymd + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var hhmm = function (m) { return pad(Math.floor(m / 60)) + ":" + pad(m % 60); };
  var DAYS = STRINGS.weekdays || ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

  /* Spans of the day `k` days after today (department time), [] on a closure. */
  function spansOn(h, now, k) {
    var ymd = addDays(now.ymd, k);
    for (var i = 0; i < h.closed.length; i++) {
      if (ymd >= h.closed[i][0] && ymd <= h.closed[i][1]) return [];
    }
    return h.days[(now.wd + k) % 7] || [];
  }

  /* {open, minutes until the next change} in department wall-clock minutes. */
  function status(h, now) {
    var today = spansOn(h, now, 0);
    for (var i = 0; i < today.length; i++) {
      var s = today[i];
      if (s[0] <= now.min && now.min < s[1]) {
        var end = s[1], k = 0;
        /* A span to midnight that continues into the next day is one opening. */
        while (end === 1440 && k < 7) {
          var next = spansOn(h, now, k + 1);
          if (!next.length || next[0][0] !== 0) break;
          k++; end = next[0][1];
        }
        return { open: true, k: k, at: end, until: k * 1440 + end - now.min };
      }
    }
    for (var d = 0; d < 14; d++) {
      var spans = spansOn(h, now, d);
      for (var j = 0; j < spans.length; j++) {
        if (d > 0 || spans[j][0] > now.min) {
          return { open: false, k: d, at: spans[j][0], until: d * 1440 + spans[j][0] - now.min };
        }
      }
    }
    return null;
  }

  var localFmt = new Intl.DateTimeFormat(LANG, { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  var localTime = new Intl.DateTimeFormat(LANG, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

  function renderHours(box, h) {
    var out = box.querySelector(".open-status");
    if (!out) return;
    var nowDate = new Date();
    var now = partsIn(h.tz, nowDate);
    var st = status(h, now);
    if (!st) { out.textContent = tr("closed_indefinitely"); out.className = "open-status is-closed"; out.hidden = false; return; }
    var time = hhmm(st.at);
    var when = st.k === 1 ? tr("when_tomorrow", { time: time }) : tr("when_day", { day: DAYS[(now.wd + st.k) % 7], time: time });
    out.textContent = st.k === 0
      ? tr(st.open ? "open_closes_at" : "closed_opens_at", { time: time })
      : tr(st.open ? "open_closes" : "closed_opens", { when: when });
    out.className = "open-status " + (st.open ? "is-open" : "is-closed");
    /* The same moment in the visitor's own zone, when it differs.
       (Wall-clock arithmetic: off by the shift if a DST change falls in between.) */
    var instant = new Date(nowDate.getTime() + st.until * 60000);
    var visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    var visitorNow = partsIn(visitorZone, nowDate);
    if (visitorNow.min !== now.min || visitorNow.ymd !== now.ymd) {
      var local = document.createElement("span");
      local.className = "local";
      local.textContent = tr("your_time", { time: st.k === 0 && partsIn(visitorZone, instant).ymd === visitorNow.ymd
        ? localTime.format(instant) : localFmt.format(instant) });
      out.appendChild(local);
    }
    out.hidden = false;
  }

  function initHours() {
    var boxes = Array.from(document.querySelectorAll(".hours[data-hours]"));
    var today = new Date().toISOString().slice(0, 10);
    var all = boxes.map(function (box) {
      var h;
      try { h = JSON.parse(box.dataset.hours); } catch (e) { return null; }
      box.querySelectorAll(".closures li[data-until]").forEach(function (li) {
        if (li.dataset.until < today) li.hidden = true;
      });
      var list = box.querySelector(".closures");
      if (list && !list.querySelector("li:not([hidden])")) {
        list.hidden = true;
        var t = box.querySelector(".closures-title");
        if (t) t.hidden = true;
      }
      return [box, h];
    }).filter(Boolean);
    var tick = function () {
      all.forEach(function (x) { try { renderHours(x[0], x[1]); } catch (e) { /* unknown zone: keep the static hours */ } });
    };
    tick();
    if (all.length) setInterval(tick, 60000);
  }

  function init() {
    initFilter();
    initHours();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
