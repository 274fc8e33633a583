// The dashboard's script, served by the server (GET /dashboard/assets/app.js) under a strict
// Content-Security-Policy: no inline code, no other origin. It keeps the page live without reloading:
// every few seconds it reads /dashboard/live, /tasks and /workers and redraws the counts, the charts
// (small SVG drawn here), the task list, the workers and the functions. On a task's page it watches
// GET /tasks/{id} and reloads once the task's status changes. Text from the server is only ever set
// with textContent, never parsed as HTML.
(function () {
  "use strict";
  var body = document.body;
  var pollMs = Number(body.dataset.pollMs) || 2000;
  var token = body.dataset.token || "";
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c !== null && c !== undefined) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function svgEl(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) { if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); }
    return e;
  }
  function td(text, cls) { return el("td", cls ? { text: text, cls: cls } : { text: text }); }
  function time(iso) {
    if (!iso) return td("");
    var c = el("td");
    c.appendChild(el("time", { datetime: iso, text: iso.replace("T", " ").slice(0, 23) }));
    return c;
  }
  function formatMs(ms) { return ms >= 1000 ? Number((ms / 1000).toFixed(3)) + " s" : Number(ms.toFixed(3)) + " ms"; }
  function get(path) {
    return fetch(path, { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(path + " answered " + r.status + (r.status === 401 ? " (signed out: reload to sign in)" : ""));
      return r.json();
    });
  }
  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = el("textarea", { readonly: "" });
    area.value = text;
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }
  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("[data-copy]") : null;
    if (!b) return;
    var label = b.textContent;
    copy(b.getAttribute("data-copy")).then(function () { b.textContent = "Copied"; }, function () { b.textContent = "Copy failed"; });
    setTimeout(function () { b.textContent = label; }, 1500);
  });
  var select = document.querySelector("[data-function-filter]");
  if (select) select.addEventListener("change", function () { select.form.submit(); });

  function replaceRows(id, rows, empty, columns) {
    var tbody = document.getElementById(id);
    if (!tbody) return;
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    if (rows.length === 0) tbody.appendChild(el("tr", { cls: "empty" }, [el("td", { colspan: String(columns), cls: "muted", text: empty })]));
    rows.forEach(function (r) { tbody.appendChild(r); });
  }

  function taskRow(t) {
    var link = el("a", { href: "/dashboard/tasks/" + encodeURIComponent(t.task_id) }, [el("code", { text: t.task_id })]);
    var status = el("td", {}, [el("span", { cls: "status " + t.status, "data-status": "", text: t.status })]);
    if (t.retried_as) status.appendChild(el("span", { cls: "muted", text: " retried" }));
    return el("tr", { "data-task": t.task_id }, [el("td", {}, [link]), td(t.function_name), status, td(String(t.attempt), "n"), time(t.created_at), time(t.finished_at), td(t.error_name || "")]);
  }

  function workerRows(dispatchers) {
    var rows = [];
    dispatchers.forEach(function (d) {
      function first() {
        var c = el("td", {}, [el("code", { text: d.dispatcher_id })]);
        if (!d.claiming) c.appendChild(el("span", { cls: "status FAILED", text: " not claiming" }));
        return c;
      }
      if (d.executors) rows.push(el("tr", { "data-dispatcher": d.dispatcher_id }, [first(), td(d.host), td(d.mode), td(d.executors.live + " " + d.executors.isolation + " executors (max " + d.executors.max + ")"), td("", "n"), td(String(d.in_flight), "n"), td(String(d.tasks_done), "n"), time(d.started_at), time(d.reported_at)]));
      d.workers.forEach(function (w) {
        rows.push(el("tr", { "data-worker": w.worker_id }, [first(), td(w.host), td(w.mode + (w.draining ? " (draining)" : "")), el("td", {}, [el("code", { text: w.worker_id })]), td(String(w.capacity), "n"), td(String(w.in_flight), "n"), td(String(w.tasks_done), "n"), time(w.connected_since), time(w.last_heartbeat)]));
      });
      if (!d.executors && d.workers.length === 0) rows.push(el("tr", { "data-dispatcher": d.dispatcher_id }, [first(), td(d.host), td(d.mode), td("no workers connected", "muted"), td(""), td(String(d.in_flight), "n"), td(String(d.tasks_done), "n"), time(d.started_at), time(d.reported_at)]));
    });
    return rows;
  }

  function count(name, text) { return el("td", { cls: "n", "data-fn": name, text: text }); }

  function functionRow(f) {
    var retry = el("td");
    if (f.failed > 0) {
      retry.appendChild(el("form", { method: "post", action: "/dashboard/retry", cls: "inline" }, [
        el("input", { type: "hidden", name: "token", value: token }),
        el("input", { type: "hidden", name: "status", value: "FAILED" }),
        el("input", { type: "hidden", name: "function_id", value: f.function_id }),
        el("button", { type: "submit", "data-action": "retry-all", text: "Retry failed" }),
      ]));
    }
    return el("tr", { "data-function": f.function_id }, [
      td(f.name), el("td", {}, [el("code", { text: f.function_id })]), td(String(f.timeout_ms), "n"), td(String(f.max_attempts), "n"), td(f.created),
      count("submitted", String(f.submitted)), count("active", String(f.active)), count("completed", String(f.completed)), count("failed", String(f.failed)),
      count("failure_rate", (100 * f.failure_rate).toFixed(1) + "%"), count("p50", f.p50_ms === null ? "" : "\u2264 " + formatMs(f.p50_ms)), retry,
    ]);
  }

  function setText(selector, value) {
    var e = document.querySelector(selector);
    if (e) e.textContent = String(value);
  }

  // A line chart over the last 15 minutes: one polyline per series, broken where a value is null.
  function drawChart(svg, series, log) {
    if (!svg) return;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var W = 900, H = 160, top = 14, bottom = H - 14;
    var values = [];
    series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && v > 0) values.push(v); }); });
    var max = values.length ? Math.max.apply(null, values) : 1;
    var min = values.length ? Math.min.apply(null, values) : 1;
    if (log && max === min) { max = max * 2; min = min / 2; }
    function y(v) {
      if (log) return bottom - ((Math.log(Math.max(v, min)) - Math.log(min)) / (Math.log(max) - Math.log(min))) * (bottom - top);
      return bottom - (v / max) * (bottom - top);
    }
    svg.appendChild(svgEl("line", { x1: 0, y1: bottom, x2: W, y2: bottom, stroke: "#bbb" }));
    svg.appendChild(svgEl("line", { x1: 0, y1: top, x2: W, y2: top, stroke: "#eee" }));
    svg.appendChild(svgEl("text", { x: 4, y: 11, "font-size": 10, fill: "#666", text: log ? formatMs(max) : max + "/s" }));
    if (log) svg.appendChild(svgEl("text", { x: 4, y: H - 2, "font-size": 10, fill: "#666", text: formatMs(min) }));
    svg.appendChild(svgEl("text", { x: W - 4, y: H - 2, "font-size": 10, fill: "#666", "text-anchor": "end", text: "now" }));
    svg.appendChild(svgEl("text", { x: log ? 90 : 4, y: H - 2, "font-size": 10, fill: "#666", text: "-15 min" }));
    series.forEach(function (s) {
      var n = s.values.length, step = W / Math.max(1, n - 1), points = [];
      function flush() {
        if (points.length === 1) points.push((Number(points[0].split(",")[0]) + 1.5) + "," + points[0].split(",")[1]);
        if (points.length > 1) svg.appendChild(svgEl("polyline", { points: points.join(" "), fill: "none", stroke: s.color, "stroke-width": 1.5, "data-series": s.name }));
        points = [];
      }
      s.values.forEach(function (v, i) {
        if (v === null || (log && v <= 0)) { flush(); return; }
        points.push((i * step).toFixed(1) + "," + y(v).toFixed(1));
      });
      flush();
    });
  }

  function liveState(ok, message) {
    var e = document.getElementById("live-state");
    if (!e) return;
    e.textContent = ok ? "live \u00b7 updated " + new Date().toLocaleTimeString() : "not live: " + message;
    e.className = ok ? "muted" : "err";
  }

  function dashboard() {
    var status = body.dataset.status || "", fn = body.dataset.functionId || "", paged = body.dataset.paged === "1";
    function listPath() {
      var q = new URLSearchParams();
      if (status) q.set("status", status);
      if (fn) q.set("function_id", fn);
      q.set("limit", "50");
      return "/tasks?" + q.toString();
    }
    function tick() {
      if (document.visibilityState === "hidden") return setTimeout(tick, pollMs);
      Promise.all([get("/dashboard/live"), paged ? null : get(listPath()), get("/workers")]).then(function (r) {
        var live = r[0], list = r[1], workers = r[2], c = live.counts;
        setText('[data-metric="queue_depth"]', c.queued);
        setText('[data-metric="running"]', c.running);
        setText('[data-metric="finished_COMPLETED"]', c.completed);
        setText('[data-metric="finished_FAILED"]', c.failed);
        setText('[data-metric="finished_CANCELLED"]', c.cancelled);
        setText('[data-metric="submitted"]', c.submitted);
        setText('[data-metric="retries"]', c.retries);
        setText('[data-metric="functions"]', live.function_count);
        setText("[data-function-count]", live.function_count);
        var a = live.activity;
        drawChart(document.getElementById("chart-throughput"), [
          { name: "completed", color: "#2a8a3a", values: a.completed },
          { name: "failed", color: "#c0392b", values: a.failed },
        ], false);
        drawChart(document.getElementById("chart-latency"), [
          { name: "p50", color: "#2c6fbb", values: a.p50_ms },
          { name: "p95", color: "#e08e0b", values: a.p95_ms },
          { name: "p99", color: "#8e44ad", values: a.p99_ms },
        ], true);
        replaceRows("function-rows", live.functions.map(functionRow), "No functions registered.", 12);
        replaceRows("worker-rows", workerRows(workers.dispatchers), "No dispatcher has reported.", 9);
        if (list) {
          replaceRows("task-rows", list.tasks.map(taskRow), "No tasks.", 7);
          var paging = document.getElementById("task-paging");
          if (paging) {
            while (paging.firstChild) paging.removeChild(paging.firstChild);
            if (list.next_cursor) {
              var q = new URLSearchParams();
              if (status) q.set("status", status);
              if (fn) q.set("function", fn);
              q.set("cursor", list.next_cursor);
              paging.appendChild(el("a", { "data-older": "", href: "/dashboard?" + q.toString() + "#tasks", text: "Older tasks \u2192" }));
            }
          }
        }
        liveState(true);
      }).catch(function (e) { liveState(false, e.message); }).then(function () { setTimeout(tick, pollMs); });
    }
    tick();
  }

  function watchTask() {
    var id = body.dataset.taskId, shown = body.dataset.taskStatus;
    if (shown === "COMPLETED" || shown === "FAILED" || shown === "CANCELLED") return;
    function tick() {
      get("/tasks/" + encodeURIComponent(id)).then(function (t) {
        if (t.status !== shown) return location.reload();
        setTimeout(tick, pollMs);
      }, function () { setTimeout(tick, pollMs * 2); });
    }
    setTimeout(tick, pollMs);
  }

  if (body.dataset.taskId) watchTask();
  else if (document.getElementById("task-rows")) dashboard();
})();
