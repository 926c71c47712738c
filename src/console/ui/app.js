// CloudFlow emulator console: plain JS, no framework, no network beyond this server.
// Every action goes through POST /_emulator/console/call (the API's own action functions).
"use strict";

const $ = (sel, root) => (root || document).querySelector(sel);
const main = () => $("#main");
let timers = [];
let account = localStorage.getItem("cloudflow.account") || "";

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const SVGNS = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

class ApiError extends Error {
  constructor(body) { super(`${body.Code}: ${body.Message}`); this.body = body; }
}

async function call(action, params) {
  const r = await fetch(`/_emulator/console/call?account=${encodeURIComponent(account)}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ Action: action, Params: params || {} }),
  });
  const body = await r.json();
  if (!r.ok || body.Code) throw new ApiError(body);
  return body;
}

async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok || body.Code) throw new ApiError(body);
  return body;
}

function graphUrl(flow, exec) {
  let u = `/_emulator/console/graph?account=${encodeURIComponent(account)}&flow=${encodeURIComponent(flow)}`;
  if (exec) u += `&execution=${encodeURIComponent(exec)}`;
  return u;
}

const enc = encodeURIComponent;
const link = (href, text, attrs) => h("a", Object.assign({ href }, attrs || {}), text);
const badge = (st) => h("span", { class: `badge ${st}`, "data-status": st }, st);
const notice = (kind, text) => h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
const fmtTime = (t) => (t ? t.replace("T", " ").replace(/Z$/, " UTC") : "");
function pretty(text) {
  if (text === undefined || text === null || text === "") return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return String(text); }
}
function every(ms, fn) { timers.push(setInterval(fn, ms)); }
function crumbs(...parts) {
  const nav = $("#crumbs");
  nav.replaceChildren();
  parts.forEach((p, i) => { if (i) nav.append(" / "); nav.append(p); });
}

// ---------------------------------------------------------------- accounts

async function loadAccounts() {
  const sel = $("#account");
  const data = await getJson("/_emulator/console/accounts");
  const ids = data.Accounts.map((a) => a.AccountId);
  const fromHash = new URLSearchParams(location.hash.split("?")[1] || "").get("account");
  if (fromHash && ids.includes(fromHash)) account = fromHash;
  if (!ids.includes(account)) account = ids[0] || "";
  sel.replaceChildren(...data.Accounts.map((a) => {
    const keys = a.AccessKeyIds.length ? ` (${a.AccessKeyIds.join(", ")})` : "";
    return h("option", { value: a.AccountId, selected: a.AccountId === account }, a.AccountId + keys);
  }));
  sel.onchange = () => {
    account = sel.value;
    localStorage.setItem("cloudflow.account", account);
    location.hash = "#/";
    route();
  };
}

// ---------------------------------------------------------------- router

function route() {
  timers.forEach(clearInterval);
  timers = [];
  const path = location.hash.replace(/^#/, "").split("?")[0];
  const seg = path.split("/").filter(Boolean).map(decodeURIComponent);
  let page;
  if (seg[0] === "flow" && seg.length === 2) page = flowPage(seg[1]);
  else if (seg[0] === "exec" && seg.length === 3) page = execPage(seg[1], seg[2]);
  else page = flowsPage();
  page.catch((e) => main().replaceChildren(notice("error", e.message)));
}

// ---------------------------------------------------------------- flows

async function listAllFlows() {
  let flows = [], token;
  do {
    const r = await call("ListFlows", token ? { Limit: 100, NextToken: token } : { Limit: 100 });
    flows = flows.concat(r.Flows || []);
    token = r.NextToken;
  } while (token);
  return flows;
}

async function flowsPage() {
  crumbs("Flows");
  document.title = "Flows · CloudFlow emulator";
  const flows = await listAllFlows();
  const body = flows.length
    ? h("table", { id: "flows" },
        h("thead", {}, h("tr", {}, ["Name", "Type", "Description", "Created", "Last modified"].map((c) => h("th", {}, c)))),
        h("tbody", {}, flows.map((f) => h("tr", { "data-flow": f.Name },
          h("td", {}, link(`#/flow/${enc(f.Name)}`, f.Name)),
          h("td", {}, f.Type), h("td", {}, f.Description || ""),
          h("td", {}, fmtTime(f.CreatedTime)), h("td", {}, fmtTime(f.LastModifiedTime))))))
    : h("p", { class: "muted" }, `No flows in account ${account}. Create one with CreateFlow.`);
  main().replaceChildren(h("h1", {}, "Flows"), h("div", { class: "card" }, body));
}

// ---------------------------------------------------------------- one flow

async function flowPage(name) {
  crumbs(link("#/", "Flows"), name);
  document.title = `${name} · CloudFlow emulator`;
  const [flow, g] = await Promise.all([call("DescribeFlow", { Name: name }), getJson(graphUrl(name))]);
  const statusSel = h("select", { id: "status-filter" },
    ["", "Running", "Succeeded", "Failed", "Stopped", "TimedOut"].map((v) => h("option", { value: v }, v || "any status")));
  const prefix = h("input", { id: "prefix-filter", placeholder: "name prefix", size: 14 });
  const auto = h("input", { type: "checkbox", id: "auto-refresh", checked: true });
  const execBox = h("div", { id: "executions" });
  const msg = h("div");
  const execName = h("input", { name: "ExecutionName", id: "exec-name", placeholder: "generated when empty", size: 24 });
  const input = h("textarea", { name: "Input", id: "exec-input", rows: 4 }, "{}");
  const start = h("form", { id: "start-form", class: "stack", onsubmit: async (ev) => {
    ev.preventDefault();
    msg.replaceChildren();
    const params = { FlowName: name };
    if (execName.value.trim()) params.ExecutionName = execName.value.trim();
    if (input.value.trim()) params.Input = input.value;
    try {
      const r = await call("StartExecution", params);
      location.hash = `#/exec/${enc(name)}/${enc(r.Name)}`;
    } catch (e) { msg.replaceChildren(notice("error", e.message)); }
  } },
    h("label", {}, "ExecutionName", execName),
    h("label", {}, "Input (JSON)", input),
    h("div", {}, h("button", { type: "submit", id: "start-button" }, "Start execution")));

  async function refresh() {
    const params = { FlowName: name, Limit: 100, MetadataOnly: true };
    if (statusSel.value) params.Status = statusSel.value;
    if (prefix.value.trim()) params.ExecutionNamePrefix = prefix.value.trim();
    try {
      const r = await call("ListExecutions", params);
      const ex = r.Executions || [];
      execBox.replaceChildren(ex.length
        ? h("table", {},
            h("thead", {}, h("tr", {}, ["Execution", "Status", "Started", "Stopped"].map((c) => h("th", {}, c)))),
            h("tbody", {}, ex.map((e) => h("tr", { "data-execution": e.Name },
              h("td", {}, link(`#/exec/${enc(name)}/${enc(e.Name)}`, e.Name)),
              h("td", {}, badge(e.Status)),
              h("td", {}, fmtTime(e.StartedTime)), h("td", {}, fmtTime(e.StoppedTime))))))
        : h("p", { class: "muted" }, "No executions match."));
    } catch (e) { execBox.replaceChildren(notice("error", e.message)); }
  }
  statusSel.onchange = refresh;
  prefix.oninput = refresh;

  main().replaceChildren(
    h("h1", {}, "Flow ", h("span", { id: "flow-name" }, name)),
    h("div", { class: "grid" },
      h("div", { class: "stack" },
        h("div", { class: "card" }, h("h2", {}, "Details"),
          h("dl", { class: "kv" },
            h("dt", {}, "Type"), h("dd", {}, flow.Type),
            h("dt", {}, "ExecutionMode"), h("dd", {}, flow.ExecutionMode || ""),
            h("dt", {}, "Description"), h("dd", {}, flow.Description || ""),
            h("dt", {}, "Id"), h("dd", {}, flow.Id),
            h("dt", {}, "Created"), h("dd", {}, fmtTime(flow.CreatedTime)),
            h("dt", {}, "Last modified"), h("dd", {}, fmtTime(flow.LastModifiedTime)))),
        h("div", { class: "card" }, h("h2", {}, "Start an execution"), msg, start),
        h("div", { class: "card" }, h("h2", {}, "Executions"),
          h("div", { class: "filters" }, h("label", {}, "Status", statusSel), h("label", {}, "Name", prefix),
            h("label", { style: "flex-direction:row;align-items:center;gap:4px" }, auto, "auto-refresh")),
          execBox)),
      h("div", { class: "stack" },
        h("div", { class: "card" }, h("h2", {}, "State graph"), h("div", { class: "graph", id: "graph" }, drawGraph(g.Graph))),
        h("div", { class: "card" }, h("h2", {}, "Definition"), h("pre", { id: "definition" }, flow.Definition)))));
  await refresh();
  every(2000, () => { if (auto.checked) refresh(); });
}

// ---------------------------------------------------------------- one execution

function terminalEvent(events) {
  const t = ["ExecutionSucceeded", "ExecutionFailed", "ExecutionStopped", "ExecutionTimedOut"];
  return events.filter((e) => t.includes(e.Type)).pop();
}

async function fullHistory(flow, exec) {
  let events = [], token;
  do {
    const p = { FlowName: flow, ExecutionName: exec, Limit: 1000 };
    if (token) p.NextToken = token;
    const r = await call("GetExecutionHistory", p);
    events = events.concat(r.Events || []);
    token = r.NextToken;
  } while (token && events.length < 20000);
  return events;
}

async function execPage(flow, exec) {
  crumbs(link("#/", "Flows"), link(`#/flow/${enc(flow)}`, flow), exec);
  document.title = `${exec} · CloudFlow emulator`;
  const head = h("div");
  const io = h("div", { class: "grid" });
  const graphBox = h("div", { class: "graph", id: "graph" });
  const timeline = h("div", { id: "timeline" });
  const events = h("div", { class: "scroll", id: "events" });
  const stopMsg = h("div", { id: "stop-message" });
  const errField = h("input", { name: "Error", id: "stop-error", placeholder: "e.g. Cancelled", size: 18 });
  const causeField = h("input", { name: "Cause", id: "stop-cause", placeholder: "why", size: 30 });
  const stopBtn = h("button", { type: "submit", class: "danger", id: "stop-button" }, "Stop");
  const stopForm = h("form", { class: "row", id: "stop-form", onsubmit: async (ev) => {
    ev.preventDefault();
    const p = { FlowName: flow, ExecutionName: exec };
    if (errField.value) p.Error = errField.value;
    if (causeField.value) p.Cause = causeField.value;
    stopBtn.disabled = true;
    try {
      const r = await call("StopExecution", p);
      stopMsg.replaceChildren(notice("ok", `StopExecution: ${r.Status} (RequestId ${r.RequestId})`));
    } catch (e) {
      stopMsg.replaceChildren(notice("error", e.message));
    }
    stopBtn.disabled = false;
    refresh();
  } }, h("label", {}, "Error", errField), h("label", {}, "Cause", causeField), stopBtn);
  const stopCard = h("div", { class: "card", id: "stop-card" }, h("h2", {}, "Stop this execution"), stopMsg, stopForm);

  main().replaceChildren(
    h("h1", {}, "Execution ", h("span", { id: "exec-name" }, exec)),
    head, stopCard, io,
    h("div", { class: "grid", style: "margin-top:16px" },
      h("div", { class: "card" }, h("h2", {}, "State graph"), graphBox,
        h("div", { class: "legend" }, ["succeeded", "running", "failed", "interrupted"].map((k) => h("span", { class: `l-${k}` }, k)),
          h("span", { class: "l-none" }, "not entered"))),
      h("div", { class: "card" }, h("h2", {}, "Timeline"), timeline)),
    h("div", { class: "card", style: "margin-top:16px" }, h("h2", {}, "History"), events));

  let done = false;
  async function refresh() {
    const [d, hist, g] = await Promise.all([
      call("DescribeExecution", { FlowName: flow, ExecutionName: exec }),
      fullHistory(flow, exec),
      getJson(graphUrl(flow, exec)),
    ]);
    const live = d.Status === "Running" || d.Status === "Starting";
    const end = terminalEvent(hist);
    let detail = {};
    try { detail = end ? JSON.parse(end.EventDetail || "{}") : {}; } catch (_) { detail = {}; }
    head.replaceChildren(h("div", { class: "card" },
      h("dl", { class: "kv" },
        h("dt", {}, "Status"), h("dd", { id: "exec-status" }, badge(d.Status)),
        h("dt", {}, "Flow"), h("dd", {}, link(`#/flow/${enc(flow)}`, flow)),
        h("dt", {}, "Started"), h("dd", {}, fmtTime(d.StartedTime)),
        h("dt", {}, "Stopped"), h("dd", {}, fmtTime(d.StoppedTime) || "—"),
        h("dt", {}, "Account"), h("dd", {}, account))));
    const errText = detail.Error !== undefined || detail.Cause !== undefined
      ? `Error: ${detail.Error ?? ""}\nCause: ${detail.Cause ?? ""}` : "";
    io.replaceChildren(
      h("div", { class: "card" }, h("h2", {}, "Input"), h("pre", { id: "exec-input" }, pretty(d.Input))),
      h("div", { class: "card" }, h("h2", {}, "Output"), h("pre", { id: "exec-output" }, pretty(d.Output) || "—"),
        h("h2", { style: "margin-top:12px" }, "Error"), h("pre", { id: "exec-error", class: errText ? "error" : "" }, errText || "—")));
    stopCard.hidden = !live;
    graphBox.replaceChildren(drawGraph(g.Graph));
    timeline.replaceChildren(drawTimeline(hist, d));
    events.replaceChildren(drawEvents(hist));
    if (!live) done = true;
  }
  await refresh();
  every(1500, () => { if (!done) refresh().catch(() => {}); });
}

function drawEvents(hist) {
  const t0 = hist.length ? Date.parse(hist[0].Time) : 0;
  return h("table", { class: "events" },
    h("thead", {}, h("tr", {}, ["#", "+time", "Type", "Step", "Detail"].map((c) => h("th", {}, c)))),
    h("tbody", {}, hist.map((e) => {
      const cls = (e.Type.match(/(Succeeded|Failed|Stopped|TimedOut)$/) || [""])[0];
      return h("tr", { "data-event": e.Type },
        h("td", { class: "t" }, e.EventId),
        h("td", { class: "t", title: e.Time }, `${((Date.parse(e.Time) - t0) / 1000).toFixed(3)} s`),
        h("td", { class: `ty ${cls}` }, e.Type),
        h("td", {}, e.StepName || ""),
        h("td", { class: "d" }, e.EventDetail && e.EventDetail !== "{}" ? e.EventDetail.slice(0, 400) : ""));
    })));
}

// One bar per state run: from StepEntered to its StepSucceeded/StepFailed/StepExited.
function drawTimeline(hist, d) {
  if (!hist.length) return h("p", { class: "muted" }, "No events.");
  const t0 = Date.parse(hist[0].Time);
  const endEv = terminalEvent(hist);
  const tEnd = endEv ? Date.parse(endEv.Time) : Math.max(Date.now(), Date.parse(hist[hist.length - 1].Time));
  const span = Math.max(tEnd - t0, 1);
  const runs = new Map();
  for (const e of hist) {
    if (e.Type === "StepEntered") runs.set(e.EventId, { name: e.StepName, start: Date.parse(e.Time), end: null, state: "running" });
    const r = runs.get(e.ScheduleEventId);
    if (r && e.Type === "StepFailed") { r.end = Date.parse(e.Time); r.state = "failed"; }
    if (r && (e.Type === "StepSucceeded" || e.Type === "StepExited") && r.state !== "failed") { r.end = Date.parse(e.Time); r.state = "succeeded"; }
  }
  const live = d.Status === "Running" || d.Status === "Starting";
  const rows = [...runs.values()].slice(0, 300).map((r) => {
    const end = r.end ?? tEnd;
    const state = r.end === null && !live ? "interrupted" : r.state;
    const left = ((r.start - t0) / span) * 100, width = ((end - r.start) / span) * 100;
    return h("div", { class: "row", "data-step": r.name, "data-state": state },
      h("span", { class: "label", title: r.name }, r.name),
      h("div", { class: "track" }, h("div", { class: `bar ${state}`, style: `left:${left.toFixed(2)}%;width:${Math.max(width, 0.3).toFixed(2)}%`, title: state })),
      h("span", { class: "muted" }, `${((end - r.start) / 1000).toFixed(2)} s`));
  });
  return h("div", { class: "gantt" },
    h("div", { class: "muted", style: "font-size:12px;margin-bottom:6px" }, `0 → ${(span / 1000).toFixed(2)} s, ${runs.size} state run(s)`),
    rows);
}

// ---------------------------------------------------------------- graph drawing
// A scope is laid out in rows: each state's row is its longest distance from StartAt over
// forward edges (back edges — loops — are found by a depth-first search and drawn on the
// side). Parallel and Map states are boxes holding their branches / processor side by side.

const NODE_W = 150, NODE_H = 40, GAP_X = 26, GAP_Y = 40, PAD = 12, HEAD = 30, TERM = 16;

function edgesOf(st) {
  const out = [];
  if (st.Next) out.push({ to: st.Next, kind: "next" });
  (st.Choices || []).forEach((c, i) => { if (c.Next) out.push({ to: c.Next, kind: "choice", label: `#${i + 1}`, title: c.Condition }); });
  if (st.Default) out.push({ to: st.Default, kind: "choice", label: "default" });
  (st.Catch || []).forEach((c) => out.push({ to: c.Next, kind: "catch", label: "catch", title: (c.Errors || []).join(", ") }));
  return out;
}

function layoutScope(scope) {
  const states = scope.States || [];
  const byName = new Map(states.map((st) => [st.Name, st]));
  // Back edges by DFS from StartAt (then from any unreached state).
  const color = new Map(), back = new Set();
  const dfs = (n) => {
    color.set(n, 1);
    for (const e of edgesOf(byName.get(n))) {
      if (!byName.has(e.to)) continue;
      if (color.get(e.to) === 1) back.add(`${n}\u0000${e.to}\u0000${e.kind}`);
      else if (!color.get(e.to)) dfs(e.to);
    }
    color.set(n, 2);
  };
  if (byName.has(scope.StartAt)) dfs(scope.StartAt);
  states.forEach((st) => { if (!color.get(st.Name)) dfs(st.Name); });
  const isBack = (from, e) => back.has(`${from}\u0000${e.to}\u0000${e.kind}`);
  // Longest-path ranks over forward edges (Kahn order).
  const indeg = new Map(states.map((st) => [st.Name, 0]));
  for (const st of states) for (const e of edgesOf(st)) if (byName.has(e.to) && !isBack(st.Name, e)) indeg.set(e.to, indeg.get(e.to) + 1);
  const rank = new Map(states.map((st) => [st.Name, 0]));
  const queue = states.filter((st) => indeg.get(st.Name) === 0).map((st) => st.Name);
  while (queue.length) {
    const n = queue.shift();
    for (const e of edgesOf(byName.get(n))) {
      if (!byName.has(e.to) || isBack(n, e)) continue;
      rank.set(e.to, Math.max(rank.get(e.to), rank.get(n) + 1));
      indeg.set(e.to, indeg.get(e.to) - 1);
      if (indeg.get(e.to) === 0) queue.push(e.to);
    }
  }
  // Sizes.
  const size = new Map();
  for (const st of states) size.set(st.Name, layoutNode(st));
  const rows = [];
  for (const st of states) (rows[rank.get(st.Name)] ||= []).push(st.Name);
  const rowsClean = rows.filter(Boolean);
  let y = TERM + GAP_Y * 0.7;
  const pos = new Map();
  let width = NODE_W;
  const rowWidths = rowsClean.map((r) => r.reduce((w, n) => w + size.get(n).w, 0) + GAP_X * (r.length - 1));
  width = Math.max(width, ...rowWidths);
  const anyLoop = back.size > 0;
  const sideRoom = anyLoop ? 46 : 0;
  rowsClean.forEach((r, i) => {
    const rh = Math.max(...r.map((n) => size.get(n).h));
    let x = (width - rowWidths[i]) / 2;
    for (const n of r) {
      const sz = size.get(n);
      pos.set(n, { x, y: y + (rh - sz.h) / 2, w: sz.w, h: sz.h });
      x += sz.w + GAP_X;
    }
    y += rh + GAP_Y;
  });
  const height = y - GAP_Y + 34;
  return { scope, states, size, pos, width: width + sideRoom * 2, height, offset: sideRoom, isBack, byName };
}

function layoutNode(st) {
  if (st.Branches) {
    const kids = st.Branches.map(layoutScope);
    const w = kids.reduce((a, k) => a + k.width, 0) + GAP_X * (kids.length - 1) + PAD * 2;
    const h = Math.max(0, ...kids.map((k) => k.height)) + HEAD + PAD + 14;
    return { w: Math.max(NODE_W, w), h, kids };
  }
  if (st.Processor) {
    const k = layoutScope(st.Processor);
    return { w: Math.max(NODE_W, k.width + PAD * 2), h: k.height + HEAD + PAD + 14, kids: [k] };
  }
  return { w: NODE_W, h: NODE_H };
}

function renderScope(L, ox, oy, g) {
  const X = (n) => ox + L.offset + L.pos.get(n).x;
  const Y = (n) => oy + L.pos.get(n).y;
  const cx = ox + L.offset + (L.width - L.offset * 2) / 2;
  // Start marker.
  g.append(s("circle", { class: "terminal", cx, cy: oy + TERM / 2 + 2, r: 6 }));
  if (L.pos.has(L.scope.StartAt)) {
    const t = L.scope.StartAt;
    g.append(s("path", { class: "edge", d: `M${cx},${oy + TERM / 2 + 8} L${X(t) + L.pos.get(t).w / 2},${Y(t)}`, "marker-end": "url(#arrow)" }));
  }
  let loopLane = 0;
  for (const st of L.states) {
    const p = L.pos.get(st.Name);
    const sx = X(st.Name) + p.w / 2, sy = Y(st.Name) + p.h;
    const outs = edgesOf(st).filter((e) => L.byName.has(e.to));
    outs.forEach((e, i) => {
      const q = L.pos.get(e.to);
      const tx = X(e.to) + q.w / 2, ty = Y(e.to);
      let d, lx, ly;
      const cls = `edge ${e.kind === "catch" ? "catch" : ""}`;
      if (L.isBack(st.Name, e) || ty <= sy) {
        // Loop: down out of the source, right to a lane beside the scope, up to the gap
        // above the target, and down into it (never across another state).
        loopLane += 1;
        const lane = loopLane % 3;
        const rx = ox + L.width - L.offset + 10 + lane * 10;
        const x0 = sx + (outs.length > 1 ? (i - (outs.length - 1) / 2) * 18 : 0);
        const ya = sy + 31 + lane * 3, yb = ty - 12 - lane * 4, xt = X(e.to) + q.w - 18;
        d = `M${x0},${sy} L${x0},${ya} L${rx},${ya} L${rx},${yb} L${xt},${yb} L${xt},${ty}`;
        lx = rx + 3; ly = (ya + yb) / 2;
        g.append(s("path", { class: `${cls} back`, d, "marker-end": "url(#arrow)" }, e.title ? s("title", {}, e.title) : null));
      } else {
        const spread = outs.length > 1 ? (i - (outs.length - 1) / 2) * 18 : 0;
        const x0 = sx + spread;
        const my = (sy + ty) / 2;
        d = `M${x0},${sy} C${x0},${my} ${tx},${my} ${tx},${ty}`;
        lx = (x0 + tx) / 2 + 3; ly = my + 3;
        g.append(s("path", { class: cls, d, "marker-end": "url(#arrow)" }, e.title ? s("title", {}, e.title) : null));
      }
      if (e.label) g.append(s("text", { class: "elabel", x: lx, y: ly }, e.label, e.title ? s("title", {}, e.title) : null));
    });
    if (st.End || st.Type === "Succeed" || st.Type === "Fail") {
      // The scope ends here: a short arrow to an end ring under the state.
      g.append(s("path", { class: "edge", d: `M${sx},${sy} L${sx},${sy + 15}`, "marker-end": "url(#arrow)" }));
      g.append(s("circle", { class: `terminal endring${st.Type === "Fail" ? " fail" : ""}`, cx: sx, cy: sy + 22, r: 6 }));
    }
  }
  for (const st of L.states) renderNode(st, L.size.get(st.Name), X(st.Name), Y(st.Name), g);
}

function renderNode(st, sz, x, y, g) {
  const status = st.Status || "none";
  const node = s("g", { class: `node t-${st.Type} s-${status}${sz.kids ? " compound" : ""}`, "data-id": st.Id, "data-name": st.Name, "data-type": st.Type, "data-status": status });
  const tip = [`${st.Type} ${st.Name}`, st.Action ? `Action: ${st.Action}` : null,
    st.Entered ? `entered ${st.Entered}, succeeded ${st.Succeeded}, failed ${st.Failed}, running ${st.Running}` : "not entered"].filter(Boolean).join("\n");
  node.append(s("title", {}, tip));
  node.append(s("rect", { x, y, width: sz.w, height: sz.h, rx: 7 }));
  const textY = sz.kids ? y + 16 : y + 17;
  node.append(s("text", { class: "name", x: x + 10, y: textY }, clip(st.Name, sz.kids ? 40 : 20)));
  node.append(s("text", { class: "type", x: x + 10, y: textY + 13 }, st.Type + (st.Action ? ` · ${clip(st.Action, 14)}` : "")));
  if (st.Entered) {
    const txt = st.Entered > 1 || sz.kids ? `${st.Succeeded}✓ ${st.Failed ? st.Failed + "✗ " : ""}${st.Running ? st.Running + "…" : ""}`.trim() : "";
    if (txt) node.append(s("text", { class: "count", x: x + sz.w - 8, y: y + 16, "text-anchor": "end" }, txt));
  }
  g.append(node);
  if (sz.kids) {
    let kx = x + PAD;
    const ky = y + HEAD + 8;
    const totalKids = sz.kids.reduce((a, k) => a + k.width, 0) + GAP_X * (sz.kids.length - 1);
    kx = x + (sz.w - totalKids) / 2;
    sz.kids.forEach((k, i) => {
      const label = st.Branches ? `branch ${i}` : "each item";
      g.append(s("text", { class: "branch-label", x: kx + 4, y: ky + 6 }, label));
      renderScope(k, kx, ky + 8, g);
      kx += k.width + GAP_X;
    });
  }
}

function clip(t, n) { return t.length > n ? t.slice(0, n - 1) + "…" : t; }

function drawGraph(graph) {
  const L = layoutScope(graph);
  const W = Math.ceil(L.width + 20), H = Math.ceil(L.height + 20);
  const svg = s("svg", { xmlns: SVGNS, width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "state graph" },
    s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a94a6" }))));
  const g = s("g", {});
  svg.append(g);
  renderScope(L, 10, 10, g);
  return svg;
}

// ---------------------------------------------------------------- start

window.addEventListener("hashchange", route);
loadAccounts().then(route).catch((e) => main().replaceChildren(notice("error", e.message)));
