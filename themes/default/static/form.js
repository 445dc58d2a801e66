/* Switchboard default theme: the contact form's enhancements (contact,
   department and thank-you pages). The form works without this file; with
   it, it validates inline and sends with fetch, and the thank-you page
   shows the reference it was given. */
(function () {
  "use strict";

  /* The page's strings, in its language (themes/default/i18n, `js_` keys):
     only the keys this file names, from the JSON island the page carries
     for it; `{name}` is filled from `vals`. */
  var STRINGS = {};
  try { STRINGS = JSON.parse(document.getElementById("sb-strings-form").textContent); } catch (e) { /* no island: keys show */ }
  function tr(key, vals) {
    var text = STRINGS[key] || key;
    return text.replace(/\{(\w+)\}/g, function (m, name) { return vals && name in vals ? String(vals[name]) : m; });
  }

  /* ---------- The contact form ---------- */
  var MESSAGES = {
    "f-name": { valueMissing: tr("error_name_missing") },
    "f-email": { valueMissing: tr("error_email_missing"), typeMismatch: tr("error_email_invalid") },
    "f-phone": { patternMismatch: tr("error_phone_invalid") },
    "f-topic": { valueMissing: tr("error_topic_missing") },
    "f-message": { valueMissing: tr("error_message_missing"), tooLong: tr("error_message_too_long") }
  };

  function randomKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function initForm(form) {
    form.noValidate = true;
    var status = form.querySelector(".form-status");
    var summary = form.querySelector(".error-summary");
    var button = form.querySelector("button[type=submit]");
    var keyField = form.querySelector("[data-role=idempotency-key]");
    var timeField = form.querySelector("[data-role=time-token]");
    var fields = Array.prototype.slice.call(form.querySelectorAll(".field input, .field select, .field textarea"));
    if (keyField) keyField.value = randomKey();

    /* A time token proves when the page was shown; fetched once, on first use. */
    var timePromise = null;
    function fetchTimeToken() {
      if (timePromise || !timeField) return timePromise;
      timePromise = fetch(form.action, { method: "GET", headers: { Accept: "application/json" }, credentials: "omit" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (body) {
          var tok = "";
          try { var j = JSON.parse(body); tok = j.time_token || j.token || ""; } catch (e) { tok = /^t1\.[\w.-]+$/.test(body.trim()) ? body.trim() : ""; }
          if (typeof tok === "string") timeField.value = tok;
        })
        .catch(function () { /* the page's own (build-time) token stays in the field */ });
      return timePromise;
    }
    form.addEventListener("focusin", fetchTimeToken, { once: true });

    function errorFor(el) {
      if (el.validity.valid) return "";
      var m = MESSAGES[el.id] || {};
      for (var k in el.validity) {
        if (el.validity[k] && m[k]) return m[k];
      }
      return el.validationMessage || tr("error_check_field");
    }
    function show(el, msg) {
      var box = document.getElementById(el.id + "-error");
      if (msg) { el.setAttribute("aria-invalid", "true"); } else { el.removeAttribute("aria-invalid"); }
      if (box) { box.textContent = msg; box.hidden = !msg; }
    }
    function labelOf(el) {
      var l = form.querySelector("label[for='" + el.id + "']");
      return l ? l.firstChild.textContent.trim() : el.name;
    }
    function showSummary(errors) {
      var ul = summary.querySelector("ul");
      ul.textContent = "";
      errors.forEach(function (e) {
        var li = document.createElement("li"), a = document.createElement("a");
        a.href = "#" + e.el.id;
        a.textContent = labelOf(e.el) + ": " + e.msg;
        a.addEventListener("click", function (ev) { ev.preventDefault(); e.el.focus(); });
        li.appendChild(a); ul.appendChild(li);
      });
      summary.hidden = errors.length === 0;
      if (errors.length) summary.focus();
    }
    function validate() {
      var errors = [];
      fields.forEach(function (el) {
        var msg = errorFor(el);
        show(el, msg);
        if (msg) errors.push({ el: el, msg: msg });
      });
      return errors;
    }
    fields.forEach(function (el) {
      var recheck = function () { if (el.getAttribute("aria-invalid") === "true") show(el, errorFor(el)); };
      el.addEventListener("input", recheck);
      el.addEventListener("change", recheck);
      el.addEventListener("blur", function () { if (el.value) show(el, errorFor(el)); });
    });

    function say(kind, parts) {
      status.className = "form-status " + kind;
      status.textContent = "";
      parts.forEach(function (p) { status.appendChild(typeof p === "string" ? document.createTextNode(p) : p); });
    }
    function failed(text) {
      var retry = document.createElement("button");
      retry.type = "button"; retry.className = "secondary"; retry.textContent = tr("try_again");
      retry.addEventListener("click", send);
      var plain = document.createElement("button");
      plain.type = "button"; plain.className = "secondary"; plain.textContent = tr("send_without_js");
      plain.addEventListener("click", function () { HTMLFormElement.prototype.submit.call(form); });
      say("error", [text + " " + tr("nothing_lost") + " ", retry, " ", plain]);
      button.disabled = false;
    }
    function serverErrors(body) {
      var errs = body && (body.errors || body.fields);
      if (!errs) return [];
      var list = Array.isArray(errs) ? errs : Object.keys(errs).map(function (k) { return { field: k, message: errs[k] }; });
      var out = [];
      list.forEach(function (e) {
        var el = form.elements[e.field || e.name];
        if (el && el.id) { show(el, String(e.message || e.msg)); out.push({ el: el, msg: String(e.message || e.msg) }); }
      });
      return out;
    }

    function send() {
      button.disabled = true;
      say("", [tr("sending")]);
      var wait = fetchTimeToken() || Promise.resolve();
      var timeout = new Promise(function (r) { setTimeout(r, 3000); });
      Promise.race([wait, timeout]).then(function () {
        return fetch(form.action, {
          method: "POST",
          headers: { Accept: "application/json" },
          body: new URLSearchParams(new FormData(form)),
          credentials: "omit"
        });
      }).then(function (res) {
        return res.text().then(function (t) {
          var body = null;
          try { body = JSON.parse(t); } catch (e) { /* not JSON */ }
          return { res: res, body: body };
        });
      }).then(function (r) {
        if (r.res.ok) {
          var ref = r.body && (r.body.reference || r.body.ref);
          var strong = document.createElement("strong");
          strong.textContent = ref || "";
          var parts = tr("sent_reference").split("{reference}");
          say("ok", ref && parts.length === 2 ? [parts[0], strong, parts[1]] : [tr("sent")]);
          form.reset();
          if (keyField) keyField.value = randomKey();
          button.disabled = false;
          status.setAttribute("tabindex", "-1");
          status.focus();
          return;
        }
        /* 409: this page's key already sent another message, which arrived.
           A new key makes the next press of Send a new message. */
        if (r.res.status === 409 && keyField) keyField.value = randomKey();
        var errs = serverErrors(r.body);
        if (errs.length) { button.disabled = false; say("", []); showSummary(errs); return; }
        var msg = r.body && (r.body.message || r.body.error);
        failed(typeof msg === "string" && msg ? msg : tr("not_sent_status", { status: r.res.status }));
      }).catch(function () {
        failed(tr("not_sent_connection"));
      });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var errors = validate();
      showSummary(errors);
      if (!errors.length) send();
    });
  }

  /* ---------- Thank-you page ---------- */
  function initThanks() {
    var box = document.getElementById("reference");
    if (!box) return;
    var ref = new URLSearchParams(location.search).get("ref");
    if (ref && /^[A-Za-z0-9._-]{1,64}$/.test(ref)) {
      document.getElementById("reference-value").textContent = ref;
      box.hidden = false;
    }
  }

  function init() {
    document.querySelectorAll("form.contact-form").forEach(initForm);
    initThanks();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
