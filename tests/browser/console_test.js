#!/usr/bin/env node
// Drives the web console in Debian's Chromium (headless) against the release binary:
//   1. a flow with a long Wait is created and started through the signed API;
//   2. the console is opened, the execution found, Error/Cause filled in and Stop clicked;
//      the page must show `Stopped`, and the signed GetExecutionHistory must end with
//      ExecutionStopped carrying that Error and Cause;
//   3. an execution started from the console's form on a Parallel + Map flow must show its
//      state graph with every state (each Map iteration included) coloured as succeeded.
// No request may leave 127.0.0.1. Screenshots go to docs/screenshots/.
// Usage: node console_test.js BINARY [SCREENSHOT_DIR]
"use strict";

const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");

const BIN = process.argv[2];
const SHOTS = process.argv[3] || path.join(__dirname, "..", "..", "docs", "screenshots");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const AK = "testKeyId";
const SK = "testKeySecret";
if (!BIN) {
  console.error("usage: node console_test.js BINARY [SCREENSHOT_DIR]");
  process.exit(2);
}

const results = [];
async function check(name, fn) {
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e}`);
  }
}
function assert(cond, msg) { if (!cond) throw new Error(msg); }

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------ signed API (V1 HMAC-SHA1)
const pct = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
let base;
async function api(action, params) {
  const common = {
    Action: action, Version: "2019-03-15", Format: "JSON", AccessKeyId: AK,
    SignatureMethod: "HMAC-SHA1", SignatureVersion: "1.0", SignatureNonce: crypto.randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), RegionId: "cn-hangzhou",
  };
  const all = Object.assign({}, common, params);
  const canon = Object.keys(all).sort().map((k) => `${pct(k)}=${pct(String(all[k]))}`).join("&");
  const sts = `POST&${pct("/")}&${pct(canon)}`;
  const sig = crypto.createHmac("sha1", SK + "&").update(sts).digest("base64");
  const query = Object.keys(common).map((k) => `${pct(k)}=${pct(common[k])}`).join("&") + `&Signature=${pct(sig)}`;
  const body = Object.keys(params).map((k) => `${pct(k)}=${pct(String(params[k]))}`).join("&");
  const r = await fetch(`${base}/?${query}`, {
    method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body,
  });
  const j = await r.json();
  if (r.status !== 200) throw new Error(`${action}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

const HOLD = `Type: StateMachine
SpecVersion: v1
Name: hold
StartAt: Prepare
States:
  - Type: Pass
    Name: Prepare
    Next: Hold
  - Type: Wait
    Name: Hold
    Seconds: 300
    Next: After
  - Type: Pass
    Name: After
    End: true
`;

const FANOUT = `Type: StateMachine
SpecVersion: v1
Name: fanout
StartAt: Check
States:
  - Type: Choice
    Name: Check
    Branches:
      - Condition: $Input.items != null
        Next: Fan
    Default: Nothing
  - Type: Parallel
    Name: Fan
    Branches:
      - StartAt: Greet
        States:
          - Type: Pass
            Name: Greet
            End: true
      - StartAt: Each
        States:
          - Type: Map
            Name: Each
            ItemsPath: $Input.items
            Processor:
              StartAt: Work
              States:
                - Type: Pass
                  Name: Work
                  Next: Pause
                - Type: Wait
                  Name: Pause
                  Seconds: 1
                  End: true
            End: true
    Next: Done
  - Type: Succeed
    Name: Done
  - Type: Fail
    Name: Nothing
    Code: NoItems
    Detail: the input has no items
`;

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const server = spawn(BIN, ["--listen", `127.0.0.1:${port}`, "--access-key-id", AK, "--access-key-secret", SK], {
    env: Object.assign({}, process.env, { RUST_LOG: "warn" }),
    stdio: ["ignore", "inherit", "inherit"],
  });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "cloudflow-console-chromium-"));
  let context;
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${base}/_emulator/health`)).ok) break; } catch (_) { /* not yet */ }
      if (i > 100) throw new Error("server did not start");
      await new Promise((r) => setTimeout(r, 50));
    }

    await api("CreateFlow", { Name: "hold", Type: "FDL", Description: "a long Wait", Definition: HOLD });
    await api("StartExecution", { FlowName: "hold", ExecutionName: "console-stop", Input: '{"order":42}' });
    await api("CreateFlow", { Name: "fanout", Type: "FDL", Description: "Choice, Parallel and Map", Definition: FANOUT });

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 860 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const external = [];
    await context.route("**/*", (route) => {
      const u = new URL(route.request().url());
      if (u.hostname === "127.0.0.1") return route.continue();
      external.push(u.href);
      return route.abort();
    });
    const page = context.pages()[0] || (await context.newPage());
    const consoleErrors = [];
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });

    await check("flow list shows the flows", async () => {
      await page.goto(`${base}/_emulator/ui/`);
      await page.waitForSelector('tr[data-flow="hold"] a', { timeout: 10000 });
      await page.waitForSelector('tr[data-flow="fanout"]');
      await page.screenshot({ path: path.join(SHOTS, "console-flows.png") });
    });

    await check("flow page lists the running execution and draws the graph", async () => {
      await page.click('tr[data-flow="hold"] a');
      await page.waitForSelector('tr[data-execution="console-stop"] [data-status="Running"]', { timeout: 10000 });
      const nodes = await page.$$eval("#graph svg g.node", (els) => els.map((e) => e.getAttribute("data-name")));
      assert(JSON.stringify(nodes) === JSON.stringify(["Prepare", "Hold", "After"]), `graph nodes ${nodes}`);
      await page.selectOption("#status-filter", "Succeeded");
      await page.waitForSelector("#executions >> text=No executions match.", { timeout: 5000 });
      await page.selectOption("#status-filter", "Running");
      await page.waitForSelector('tr[data-execution="console-stop"]', { timeout: 5000 });
      await page.screenshot({ path: path.join(SHOTS, "console-flow.png"), fullPage: true });
    });

    await check("Stop with Error and Cause shows Stopped", async () => {
      await page.click('tr[data-execution="console-stop"] a');
      await page.waitForSelector('#exec-status [data-status="Running"]', { timeout: 10000 });
      await page.waitForSelector('#graph g.node[data-name="Hold"][data-status="running"]', { timeout: 10000 });
      await page.waitForSelector('#graph g.node[data-name="Prepare"][data-status="succeeded"]');
      await page.fill("#stop-error", "Cancelled");
      await page.fill("#stop-cause", "stopped from the web console");
      await page.click("#stop-button");
      await page.waitForSelector('#exec-status [data-status="Stopped"]', { timeout: 10000 });
      await page.waitForSelector('#graph g.node[data-name="Hold"][data-status="interrupted"]', { timeout: 10000 });
      const err = await page.textContent("#exec-error");
      assert(err.includes("Cancelled") && err.includes("stopped from the web console"), `error box: ${err}`);
      assert(await page.isHidden("#stop-card"), "the Stop form is still shown");
      await page.screenshot({ path: path.join(SHOTS, "console-execution-stopped.png"), fullPage: true });
    });

    await check("the console's stop is an ordinary StopExecution", async () => {
      const d = await api("DescribeExecution", { FlowName: "hold", ExecutionName: "console-stop" });
      assert(d.Status === "Stopped", `status ${d.Status}`);
      const h = await api("GetExecutionHistory", { FlowName: "hold", ExecutionName: "console-stop" });
      const last = h.Events[h.Events.length - 1];
      assert(last.Type === "ExecutionStopped", `last event ${last.Type}`);
      const detail = JSON.parse(last.EventDetail);
      assert(detail.Error === "Cancelled" && detail.Cause === "stopped from the web console", last.EventDetail);
    });

    await check("start form runs a Parallel/Map execution; its graph is coloured by progress", async () => {
      await page.goto(`${base}/_emulator/ui/#/flow/fanout`);
      await page.waitForSelector("#start-form");
      await page.fill("#exec-name", "fan-from-console");
      await page.fill("#exec-input", '{"items": [{"n": 1}, {"n": 2}, {"n": 3}]}');
      await page.click("#start-button");
      await page.waitForSelector("#exec-name >> text=fan-from-console", { timeout: 10000 });
      await page.waitForSelector('#exec-status [data-status="Succeeded"]', { timeout: 20000 });
      const sel = (id) => `#graph g.node[data-id="${id}"]`;
      const statuses = await page.$$eval("#graph g.node", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-id"), e.getAttribute("data-status")])));
      for (const id of ["Check", "Fan", "Fan/0/Greet", "Fan/1/Each", "Fan/1/Each/items/Work", "Fan/1/Each/items/Pause", "Done"]) {
        assert(statuses[id] === "succeeded", `${id} is ${statuses[id]} (${JSON.stringify(statuses)})`);
      }
      assert(statuses.Nothing === "none", `Nothing is ${statuses.Nothing}`);
      const count = await page.textContent(`${sel("Fan/1/Each/items/Work")} text.count`);
      assert(count.startsWith("3✓"), `iteration count '${count}'`);
      const bars = await page.$$eval('#timeline .row[data-step="Work"]', (els) => els.length);
      assert(bars === 3, `${bars} timeline rows for Work`);
      const output = await page.textContent("#exec-output");
      assert(output.includes("Branch1"), `output ${output}`);
      await page.screenshot({ path: path.join(SHOTS, "console-parallel-map.png"), fullPage: true });
    });

    await check("no request left 127.0.0.1 and no script errors", async () => {
      assert(external.length === 0, `external requests: ${external.join(", ")}`);
      assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);
    });
  } catch (e) {
    results.push(["setup", false]);
    console.log(`FAIL setup: ${e && e.stack ? e.stack : e}`);
  } finally {
    if (context) await context.close().catch(() => {});
    server.kill("SIGTERM");
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r[1]).length;
  console.log(`browser: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
