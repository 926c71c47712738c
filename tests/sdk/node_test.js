#!/usr/bin/env node
// Conformance suite: the old Node SDK (@alicloud/fnf-2019-03-15 1.2.0, on @alicloud/pop-core RPCClient)
// against the emulator. Env: CLOUDFLOW_ENDPOINT (host:port), CLOUDFLOW_AK, CLOUDFLOW_SK,
// SDK_NODE_DIR (folder whose node_modules holds the SDK; default: normal module resolution).
//
// Notes from the SDK source (pop-core lib/rpc.js):
// * `new Client({accessKeyId, accessKeySecret, endpoint: 'http://127.0.0.1:PORT'})`; the path is always '/'.
// * GET: every parameter (common + action) in the query string. POST: URL is just '/', and ALL parameters,
//   including Action/Signature/AccessKeyId..., are sent in the form body (values encoded with %20, not '+').
// * The HTTP status is NOT checked: a body with a `Code` throws Error{code, data (parsed body), entry};
//   entry.response.statusCode has the status. With client.verbose = true, success returns [json, entry].
// * lib/client.js has 17 methods (no startSyncExecution, no describeRegions); it throws a TypeError before
//   sending when a required parameter is missing, so MissingRequiredParams cannot be provoked through it.
//   deleteFlow is sent as GET (no method set), the other write actions as POST.
'use strict';

const assert = require('node:assert');
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');
const { createRequire } = require('node:module');
const { isDeepStrictEqual } = require('node:util');

const sdkRequire = process.env.SDK_NODE_DIR
  ? createRequire(path.join(path.resolve(process.env.SDK_NODE_DIR), 'package.json'))
  : require;
const FnFClient = sdkRequire('@alicloud/fnf-2019-03-15');

const ENDPOINT = process.env.CLOUDFLOW_ENDPOINT || '127.0.0.1:8080';
const AK = process.env.CLOUDFLOW_AK || 'testKeyId';
const SK = process.env.CLOUDFLOW_SK || 'testKeySecret';
const TIME_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const INPUT = '{"key":"value"}';
const STOP_ERROR = 'MyError';
const STOP_CAUSE = 'for test';

function holdDefinition(name) {
  return [
    'Type: StateMachine', 'SpecVersion: v1', `Name: ${name}`, 'StartAt: Hold', 'States:',
    '  - Type: Wait', '    Name: Hold', '    Seconds: 300', '    Next: Done',
    '  - Type: Succeed', '    Name: Done', '',
  ].join('\n');
}
function passDefinition(name) {
  return [
    'Type: StateMachine', 'SpecVersion: v1', `Name: ${name}`, 'StartAt: Step1', 'States:',
    '  - Type: Pass', '    Name: Step1', '    Next: Done',
    '  - Type: Succeed', '    Name: Done', '',
  ].join('\n');
}
function badDefinition(name) {
  return [
    'Type: StateMachine', 'SpecVersion: v1', `Name: ${name}`, 'StartAt: NoSuchState', 'States:',
    '  - Type: Pass', '    Name: Step1', '    End: true', '',
  ].join('\n');
}

const CALLBACK_STATE = 'Approve';
const CALLBACK_OUTPUT = '{"approved": true}';
const CALLBACK_OUTPUT_COMPACT = '{"approved":true}'; // the server re-serializes the task output
function callbackDefinition(name) {
  return [
    'Type: StateMachine', 'SpecVersion: v1', `Name: ${name}`, `StartAt: ${CALLBACK_STATE}`, 'States:',
    '  - Type: Task', `    Name: ${CALLBACK_STATE}`, '    Action: FC:InvokeFunction',
    '    TaskMode: WaitForCustomCallback', '    Parameters:', '      token.$: $Context.Current.TaskToken',
    '    End: true', '',
  ].join('\n');
}
// README "Mocks": each flow's DefaultTestCase makes the Task wait for a real ReportTask* call.
function callbackMocks(flows) {
  const machines = {};
  for (const f of flows) {
    machines[f] = { DefaultTestCase: 'Manual', TestCases: { Manual: { [CALLBACK_STATE]: 'WaitForHuman' } } };
  }
  return { StateMachines: machines, MockedResponses: { WaitForHuman: { '0-99': { WaitForCallback: true } } } };
}

// Plain (unsigned) HTTP to the emulator-only endpoints; resolves {status, text}.
function emulatorHttp(method, urlPath, body) {
  const [host, port] = ENDPOINT.split(':');
  const data = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request({
      host, port: Number(port), method, path: urlPath, timeout: 10000,
      headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
    }, (res) => {
      const chunks = [];
      res.on('data', (ch) => chunks.push(ch));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function show(v) {
  try { return JSON.stringify(v); } catch (e) { return String(v); }
}
function oneLine(s, limit = 1500) {
  s = String(s).replace(/\r/g, '\\r').replace(/\n/g, '\\n');
  return s.length <= limit ? s : s.slice(0, limit) + '...(truncated)';
}

class Prereq extends Error {}
function need(values) {
  const missing = Object.entries(values).filter(([, v]) => v === undefined || v === null).map(([k]) => k);
  if (missing.length) throw new Prereq('prerequisite missing (earlier step failed): ' + missing.join(', '));
}

class Check {
  constructor(name) { this.name = name; this.errors = []; }
  fail(msg) { this.errors.push(msg); }
  true(cond, msg) { if (!cond) this.fail(msg); return !!cond; }
  eq(actual, expected, what) {
    if (!isDeepStrictEqual(actual, expected)) {
      this.fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
      return false;
    }
    return true;
  }
  time(v, what) {
    return this.true(typeof v === 'string' && TIME_RE.test(v),
      `${what}: expected a time like 2019-01-01T01:01:01.001Z, got ${show(v)}`);
  }
  int(v, what) {
    return this.true(typeof v === 'number' && Number.isInteger(v), `${what}: expected a JSON integer, got ${show(v)}`);
  }
  absent(body, key, what) {
    const v = body ? body[key] : undefined;
    return this.true(v === undefined || v === null || v === '', `${what}: expected ${key} to be absent, got ${show(v)}`);
  }
  jsonObjectString(v, what) {
    if (typeof v !== 'string') { this.fail(`${what}: expected a string holding a JSON object, got ${show(v)}`); return null; }
    let obj;
    try { obj = JSON.parse(v); } catch (e) { this.fail(`${what}: not valid JSON (${e.message}): ${show(v)}`); return null; }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      this.fail(`${what}: expected a JSON object, got ${show(v)}`);
      return null;
    }
    return obj;
  }
}

let passed = 0;
let failed = 0;

function describe(e) {
  if (e && e.entry && e.data) {
    return `${e.name}(code=${show(e.code)}, status=${show(e.entry.response && e.entry.response.statusCode)}, ` +
      `data=${show(e.data)})`;
  }
  return (e && e.stack) ? e.stack.split('\n').slice(0, 3).join(' / ') : String(e);
}

async function check(name, fn) {
  const c = new Check(name);
  try {
    await fn(c);
  } catch (e) {
    if (e instanceof Prereq) c.errors.push(e.message);
    else if (e instanceof assert.AssertionError) c.errors.push(e.message);
    else c.errors.push('unexpected exception: ' + describe(e));
  }
  if (c.errors.length) {
    failed += 1;
    console.log(`not ok - ${name}: ` + oneLine(c.errors.join(' | ')));
  } else {
    passed += 1;
    console.log(`ok - ${name}`);
  }
}

function makeClient(ak = AK, sk = SK) {
  const client = new FnFClient({ accessKeyId: ak, accessKeySecret: sk, endpoint: `http://${ENDPOINT}` });
  client.verbose = true; // success -> [json, entry], so we can check the HTTP status too
  return client;
}

// Call an SDK method; returns the parsed body, after asserting HTTP 200.
async function call(client, method, params) {
  const [json, entry] = await client[method](params, { timeout: 10000 });
  const status = entry && entry.response && entry.response.statusCode;
  if (status !== 200) {
    throw new Error(`${method}: HTTP status ${status} with a body that has no Code: ${show(json)}`);
  }
  return json;
}

function extract(e) {
  if (!e || !e.entry || !e.entry.response || !e.data) return null;
  return { code: e.code, status: e.entry.response.statusCode, message: e.data.Message, raw: e.data };
}

async function expectError(c, fn, code, status, what) {
  let res;
  try {
    res = await fn();
  } catch (e) {
    if (e instanceof Prereq) throw e;
    const info = extract(e);
    if (!info) {
      c.fail(`${what}: expected API error ${code} (HTTP ${status}), got exception ${describe(e)}`);
      return null;
    }
    if (info.code !== code) c.fail(`${what}: expected Code ${show(code)}, got ${show(info.code)} (HTTP ${info.status}, body ${show(info.raw)})`);
    if (info.status !== status) c.fail(`${what}: expected HTTP status ${status}, got ${show(info.status)} (Code ${show(info.code)}, body ${show(info.raw)})`);
    return info;
  }
  c.fail(`${what}: expected API error ${code} (HTTP ${status}) but the call succeeded: ${oneLine(show(res), 600)}`);
  return null;
}

function checkHistory(c, events, lastType, stopDetail) {
  if (!c.true(Array.isArray(events) && events.length > 0, `Events: expected a non-empty list, got ${show(events)}`)) return;
  events.forEach((ev, i) => {
    c.int(ev.EventId, `Events[${i}].EventId`);
    c.int(ev.ScheduleEventId, `Events[${i}].ScheduleEventId`);
    if (ev.Time !== undefined && ev.Time !== null) c.time(ev.Time, `Events[${i}].Time`);
    if (ev.EventDetail !== undefined && ev.EventDetail !== null && typeof ev.EventDetail !== 'string') {
      c.fail(`Events[${i}].EventDetail: expected a string, got ${show(ev.EventDetail)}`);
    }
  });
  const ids = events.map((ev) => ev.EventId);
  if (ids.every((x) => Number.isInteger(x))) {
    c.true(ids.every((x, i) => i === 0 || ids[i - 1] < x), `events not ordered by strictly increasing EventId: ${show(ids)}`);
  }
  c.eq(events[0].Type, 'ExecutionStarted', 'first event Type');
  const last = events[events.length - 1];
  c.eq(last.Type, lastType, 'last event Type');
  if (stopDetail && last.Type === lastType) {
    const detail = c.jsonObjectString(last.EventDetail, `${lastType}.EventDetail`);
    if (detail) {
      for (const [k, v] of Object.entries(stopDetail)) c.eq(detail[k], v, `${lastType}.EventDetail.${k}`);
    }
  }
}

async function main() {
  const cli = makeClient();
  const sfx = crypto.randomBytes(4).toString('hex');
  const flow = `sdk_node_hold_${sfx}`;
  const definition = holdDefinition(flow);
  const desc = 'SDK conformance flow (node)';
  const execName = `run1_${sfx}`;
  const st = {};

  await check('CreateFlow (new-style FDL, Type FDL, no RoleArn)', async (c) => {
    const b = await call(cli, 'createFlow', { Name: flow, Definition: definition, Description: desc, Type: 'FDL' });
    st.flow = flow;
    c.eq(b.Name, flow, 'Name');
    c.eq(b.Type, 'FDL', 'Type');
    c.eq(b.Definition, definition, 'Definition');
    c.eq(b.Description, desc, 'Description');
    c.true(typeof b.Id === 'string' && b.Id, `Id: expected non-empty string, got ${show(b.Id)}`);
    c.time(b.CreatedTime, 'CreatedTime');
    c.time(b.LastModifiedTime, 'LastModifiedTime');
    c.true(b.RequestId, 'RequestId missing');
    c.absent(b, 'RoleArn', 'CreateFlow body');
    st.flowId = b.Id;
  });

  await check('DescribeFlow returns the submitted flow', async (c) => {
    need({ flow: st.flow });
    const b = await call(cli, 'describeFlow', { Name: flow });
    c.eq(b.Name, flow, 'Name');
    c.eq(b.Definition, definition, 'Definition');
    c.eq(b.Description, desc, 'Description');
    c.eq(b.Type, 'FDL', 'Type');
    c.true(typeof b.Id === 'string' && b.Id, `Id: expected non-empty string, got ${show(b.Id)}`);
    if (st.flowId) c.eq(b.Id, st.flowId, 'Id (same as CreateFlow)');
    c.time(b.CreatedTime, 'CreatedTime');
    c.time(b.LastModifiedTime, 'LastModifiedTime');
    c.true(b.ExecutionMode === 'Standard' || b.ExecutionMode === '',
      `ExecutionMode: expected "Standard" (or "" = Standard), got ${show(b.ExecutionMode)}`);
    c.true(b.RequestId, 'RequestId missing');
  });

  await check('StartExecution with Input and ExecutionName', async (c) => {
    need({ flow: st.flow });
    const b = await call(cli, 'startExecution', { FlowName: flow, ExecutionName: execName, Input: INPUT });
    st.exec = execName;
    c.eq(b.Name, execName, 'Name');
    c.eq(b.FlowName, flow, 'FlowName');
    c.true(['Running', 'Starting'].includes(b.Status), `Status: expected Running or Starting, got ${show(b.Status)}`);
    c.time(b.StartedTime, 'StartedTime');
    c.true(b.RequestId, 'RequestId missing');
    st.started = b.StartedTime;
  });

  await check('DescribeExecution of the running execution', async (c) => {
    need({ execution: st.exec });
    const b = await call(cli, 'describeExecution', { FlowName: flow, ExecutionName: execName });
    c.eq(b.Name, execName, 'Name');
    c.eq(b.FlowName, flow, 'FlowName');
    c.true(['Running', 'Starting'].includes(b.Status), `Status: expected Running or Starting, got ${show(b.Status)}`);
    c.time(b.StartedTime, 'StartedTime');
    if (st.started) c.eq(b.StartedTime, st.started, 'StartedTime (same as StartExecution)');
    c.eq(b.FlowDefinition, definition, 'FlowDefinition');
    c.eq(b.Input, INPUT, 'Input');
    c.absent(b, 'StoppedTime', 'DescribeExecution body');
    c.absent(b, 'RoleArn', 'DescribeExecution body');
  });

  await check('StopExecution with Error and Cause', async (c) => {
    need({ execution: st.exec });
    const b = await call(cli, 'stopExecution',
      { FlowName: flow, ExecutionName: execName, Error: STOP_ERROR, Cause: STOP_CAUSE });
    st.stopped = true;
    c.eq(b.Status, 'Stopped', 'Status');
    c.time(b.StoppedTime, 'StoppedTime');
    c.eq(b.Name, execName, 'Name');
    c.eq(b.FlowName, flow, 'FlowName');
    c.eq(b.Input, INPUT, 'Input');
    c.time(b.StartedTime, 'StartedTime');
    if (st.started) c.eq(b.StartedTime, st.started, 'StartedTime (same as StartExecution)');
    if (typeof b.StartedTime === 'string' && typeof b.StoppedTime === 'string') {
      c.true(b.StoppedTime >= b.StartedTime, `StoppedTime ${b.StoppedTime} < StartedTime ${b.StartedTime}`);
    }
    c.absent(b, 'RoleArn', 'StopExecution body');
    c.true(b.RequestId, 'RequestId missing');
    st.stoppedTime = b.StoppedTime;
  });

  await check('DescribeExecution after stop shows Stopped', async (c) => {
    need({ stopped: st.stopped });
    const b = await call(cli, 'describeExecution', { FlowName: flow, ExecutionName: execName });
    c.eq(b.Status, 'Stopped', 'Status');
    c.time(b.StoppedTime, 'StoppedTime');
    if (st.stoppedTime) c.eq(b.StoppedTime, st.stoppedTime, 'StoppedTime (same as StopExecution)');
    c.eq(b.Input, INPUT, 'Input');
    c.eq(b.FlowDefinition, definition, 'FlowDefinition');
  });

  await check('StopExecution on a stopped execution -> ExecutionAlreadyCompleted 400', async (c) => {
    need({ stopped: st.stopped });
    const info = await expectError(c, () => call(cli, 'stopExecution',
      { FlowName: flow, ExecutionName: execName, Error: STOP_ERROR, Cause: STOP_CAUSE }),
    'ExecutionAlreadyCompleted', 400, 'StopExecution');
    if (info) {
      c.eq(info.message, `Execution '${execName}' for flow '${flow}' has already completed.`, 'Message');
      c.true(info.raw.RequestId, `RequestId missing in error body ${show(info.raw)}`);
    }
  });

  await check('GetExecutionHistory of the stopped execution', async (c) => {
    need({ stopped: st.stopped });
    const events = [];
    let token;
    for (let page = 0; page < 20; page += 1) {
      const params = { FlowName: flow, ExecutionName: execName };
      if (token) params.NextToken = token;
      const b = await call(cli, 'getExecutionHistory', params);
      events.push(...(b.Events || []));
      token = b.NextToken;
      if (!token) break;
    }
    checkHistory(c, events, 'ExecutionStopped', { Error: STOP_ERROR, Cause: STOP_CAUSE });
    if (c.errors.length) c.fail('events=' + oneLine(show(events), 800));
  });

  await check('StartExecution reusing the name of an ended execution -> ExecutionAlreadyExists 400', async (c) => {
    need({ stopped: st.stopped });
    st.dupExec = await expectError(c, () => call(cli, 'startExecution',
      { FlowName: flow, ExecutionName: execName, Input: INPUT }), 'ExecutionAlreadyExists', 400, 'StartExecution');
  });
  await check('ExecutionAlreadyExists message', async (c) => {
    need({ error: st.dupExec });
    c.eq(st.dupExec.message, `Execution ${execName} for flow ${flow} already exists.`, 'Message');
  });

  await check('StopExecution of an unknown execution -> ExecutionNotExists 404', async (c) => {
    need({ flow: st.flow });
    st.nxExec = await expectError(c, () => call(cli, 'stopExecution',
      { FlowName: flow, ExecutionName: `nosuch_${sfx}` }), 'ExecutionNotExists', 404, 'StopExecution');
  });
  await check('ExecutionNotExists message', async (c) => {
    need({ error: st.nxExec });
    c.eq(st.nxExec.message, `Execution nosuch_${sfx} for flow ${flow} does not exist.`, 'Message');
  });

  await check('DescribeFlow of an unknown flow -> FlowNotExists 404', async (c) => {
    st.nxFlow = await expectError(c, () => call(cli, 'describeFlow', { Name: `nosuch_flow_${sfx}` }),
      'FlowNotExists', 404, 'DescribeFlow');
  });
  await check('FlowNotExists message', async (c) => {
    need({ error: st.nxFlow });
    c.true([`Flow nosuch_flow_${sfx} does not exist.`, `Flow  nosuch_flow_${sfx} does not exist.`]
      .includes(st.nxFlow.message), `Message: got ${show(st.nxFlow.message)}`);
  });

  const exec2 = `run2_${sfx}`;
  await check('StopExecution with a 129-char Error -> InvalidArgument 400', async (c) => {
    need({ flow: st.flow });
    const b = await call(cli, 'startExecution', { FlowName: flow, ExecutionName: exec2, Input: INPUT });
    c.true(['Running', 'Starting'].includes(b.Status), `StartExecution ${exec2}: status ${show(b.Status)}`);
    st.exec2 = exec2;
    await expectError(c, () => call(cli, 'stopExecution',
      { FlowName: flow, ExecutionName: exec2, Error: 'E'.repeat(129), Cause: STOP_CAUSE }),
    'InvalidArgument', 400, 'StopExecution');
  });
  await check('execution still running after the rejected StopExecution', async (c) => {
    need({ execution: st.exec2 });
    const b = await call(cli, 'describeExecution', { FlowName: flow, ExecutionName: exec2 });
    c.true(['Running', 'Starting'].includes(b.Status), `Status: expected Running or Starting, got ${show(b.Status)}`);
  });
  await check('StopExecution with a 128-char Error is accepted', async (c) => {
    need({ execution: st.exec2 });
    const b = await call(cli, 'stopExecution',
      { FlowName: flow, ExecutionName: exec2, Error: 'E'.repeat(128), Cause: STOP_CAUSE });
    c.eq(b.Status, 'Stopped', 'Status');
  });

  await check('wrong AccessKeySecret -> SignatureNotMatch 403', async (c) => {
    const bad = makeClient(AK, SK + 'x');
    await expectError(c, () => call(bad, 'describeFlow', { Name: flow }), 'SignatureNotMatch', 403, 'DescribeFlow');
  });
  await check('unknown AccessKeyId -> InvalidAccessKeyID 403', async (c) => {
    const bad = makeClient(`unknownKeyId${sfx}`, SK);
    await expectError(c, () => call(bad, 'describeFlow', { Name: flow }), 'InvalidAccessKeyID', 403, 'DescribeFlow');
  });

  await check('CreateFlow with an existing name -> FlowAlreadyExists 409', async (c) => {
    need({ flow: st.flow });
    st.dupFlow = await expectError(c, () => call(cli, 'createFlow',
      { Name: flow, Definition: definition, Description: desc, Type: 'FDL' }), 'FlowAlreadyExists', 409, 'CreateFlow');
  });
  await check('FlowAlreadyExists message', async (c) => {
    need({ error: st.dupFlow });
    c.eq(st.dupFlow.message, `Flow ${flow} already exists.`, 'Message');
  });
  const badFlow = `sdk_node_bad_${sfx}`;
  await check('CreateFlow with an invalid definition (StartAt names a missing state) -> InvalidArgument 400', async (c) => {
    await expectError(c, () => call(cli, 'createFlow',
      { Name: badFlow, Definition: badDefinition(badFlow), Description: desc, Type: 'FDL' }),
    'InvalidArgument', 400, 'CreateFlow');
  });
  await check('rejected flow was not created', async (c) => {
    await expectError(c, () => call(cli, 'describeFlow', { Name: badFlow }), 'FlowNotExists', 404, 'DescribeFlow');
  });

  const pflow = `sdk_node_pass_${sfx}`;
  const pexec = `runp_${sfx}`;
  await check('Pass -> Succeed flow: CreateFlow + StartExecution', async (c) => {
    await call(cli, 'createFlow', { Name: pflow, Definition: passDefinition(pflow), Description: desc, Type: 'FDL' });
    const b = await call(cli, 'startExecution', { FlowName: pflow, ExecutionName: pexec, Input: INPUT });
    c.eq(b.Name, pexec, 'Name');
    st.pexec = pexec;
  });
  await check('Pass -> Succeed execution reaches Succeeded within 5 s with a JSON-object Output', async (c) => {
    need({ execution: st.pexec });
    const deadline = Date.now() + 5000;
    let b;
    for (;;) {
      b = await call(cli, 'describeExecution', { FlowName: pflow, ExecutionName: pexec });
      if (!['Starting', 'Running'].includes(b.Status) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    c.eq(b.Status, 'Succeeded', 'Status');
    if (b.Status === 'Succeeded') {
      st.psucceeded = true;
      c.jsonObjectString(b.Output, 'Output');
      c.time(b.StoppedTime, 'StoppedTime');
    }
  });
  await check('GetExecutionHistory of the succeeded execution ends with ExecutionSucceeded', async (c) => {
    need({ succeeded: st.psucceeded });
    const b = await call(cli, 'getExecutionHistory', { FlowName: pflow, ExecutionName: pexec });
    const events = b.Events || [];
    checkHistory(c, events, 'ExecutionSucceeded');
    if (c.errors.length) c.fail('events=' + oneLine(show(events), 800));
  });

  await callbackChecks(cli, sfx);
  await moreActionsChecks(cli, sfx);
  // Schedules last: the firing check moves the emulated clock forward. This SDK has no versions, aliases,
  // MapRun actions, and no MapRunName/Qualifier on listExecutions.
  await scheduleChecks(cli, sfx);

  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

async function history(cli, flow, name) {
  const events = [];
  let token;
  for (let page = 0; page < 50; page += 1) {
    const params = { FlowName: flow, ExecutionName: name };
    if (token) params.NextToken = token;
    const b = await call(cli, 'getExecutionHistory', params);
    events.push(...(b.Events || []));
    token = b.NextToken;
    if (!token) break;
  }
  return events;
}

async function waitUntilDone(cli, flow, name, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await call(cli, 'describeExecution', { FlowName: flow, ExecutionName: name });
    if (!['Starting', 'Running'].includes(b.Status) || Date.now() > deadline) return b;
    await sleep(50);
  }
}

// Poll GetExecutionHistory until TaskScheduled (with a TaskToken) and TaskSubmitted are recorded.
async function waitForTaskToken(c, cli, flow, name, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let events;
  for (;;) {
    events = await history(cli, flow, name);
    const types = events.map((e) => e.Type);
    if (types.includes('TaskScheduled') && types.includes('TaskSubmitted')) break;
    if (Date.now() > deadline) {
      throw new assert.AssertionError({ message: `no TaskScheduled + TaskSubmitted within ${timeoutMs} ms; events: ${oneLine(show(events), 800)}` });
    }
    await sleep(50);
  }
  const sched = events.filter((e) => e.Type === 'TaskScheduled');
  const detail = c.jsonObjectString(sched[sched.length - 1].EventDetail, 'TaskScheduled.EventDetail');
  if (!detail) throw new assert.AssertionError({ message: 'TaskScheduled.EventDetail unreadable' });
  if (typeof detail.TaskToken !== 'string' || !detail.TaskToken) {
    throw new assert.AssertionError({ message: `TaskScheduled.EventDetail.TaskToken: expected a non-empty string, got ${show(detail)}` });
  }
  return { token: detail.TaskToken, detail, events };
}

// WaitForCustomCallback + ReportTaskSucceeded/ReportTaskFailed (issue: an official SDK reporting a callback).
async function callbackChecks(cli, sfx) {
  const flow = `sdk_node_cb_${sfx}`;
  const st = {};

  await check("PUT /_emulator/mocks (JSON): DefaultTestCase with WaitForCallback for this suite's flow", async (c) => {
    const { status, text } = await emulatorHttp('PUT', '/_emulator/mocks', callbackMocks([flow]));
    c.eq(status, 200, `HTTP status (body ${oneLine(text, 400)})`);
    if (status === 200) {
      let cfg = null;
      try { cfg = JSON.parse(text); } catch (e) { /* reported below */ }
      c.true(cfg && cfg.StateMachines && Object.prototype.hasOwnProperty.call(cfg.StateMachines, flow),
        `answer should be the new configuration naming ${flow}: ${oneLine(text, 400)}`);
      st.mocks = true;
    }
  });

  await check('CreateFlow with a WaitForCustomCallback Task (Parameters token.$: $Context.Current.TaskToken)', async (c) => {
    need({ mocks: st.mocks });
    const b = await call(cli, 'createFlow',
      { Name: flow, Definition: callbackDefinition(flow), Description: 'SDK callback flow (node)', Type: 'FDL' });
    c.eq(b.Name, flow, 'Name');
    st.flow = flow;
  });

  async function startAndToken(c, name) {
    const b = await call(cli, 'startExecution', { FlowName: flow, ExecutionName: name, Input: INPUT });
    c.true(['Running', 'Starting'].includes(b.Status), `StartExecution ${name}: Status ${show(b.Status)}`);
    return waitForTaskToken(c, cli, flow, name);
  }

  const e1 = `cb_ok_${sfx}`;
  await check('callback: TaskScheduled (EventDetail.TaskToken) and TaskSubmitted appear; execution keeps Running', async (c) => {
    need({ flow: st.flow });
    const { token, detail } = await startAndToken(c, e1);
    st.tok1 = token;
    c.eq(detail.TaskMode, 'WaitForCustomCallback', 'TaskScheduled.EventDetail.TaskMode');
    let params = detail.Parameters;
    if (typeof params === 'string') { try { params = JSON.parse(params); } catch (e) { /* reported below */ } }
    c.true(params && params.token === token,
      `TaskScheduled.EventDetail.Parameters.token should equal the TaskToken ${show(token)}, got ${show(params)}`);
    const b = await call(cli, 'describeExecution', { FlowName: flow, ExecutionName: e1 });
    c.eq(b.Status, 'Running', 'Status while waiting for the report');
  });

  await check('ReportTaskSucceeded (TaskToken, Output) -> 200 with an integer EventId', async (c) => {
    need({ token: st.tok1 });
    const b = await call(cli, 'reportTaskSucceeded', { TaskToken: st.tok1, Output: CALLBACK_OUTPUT });
    if (c.int(b.EventId, 'EventId')) c.true(b.EventId > 0, `EventId should be positive, got ${b.EventId}`);
    c.true(b.RequestId, `RequestId missing in ${show(b)}`);
    st.rep1 = b.EventId;
  });

  await check('reported execution reaches Succeeded with Output {"approved":true}', async (c) => {
    need({ report: st.rep1 });
    const b = await waitUntilDone(cli, flow, e1);
    c.eq(b.Status, 'Succeeded', 'Status');
    c.eq(b.Output, CALLBACK_OUTPUT_COMPACT, 'Output');
    c.time(b.StoppedTime, 'StoppedTime');
    if (b.Status === 'Succeeded') {
      const events = await history(cli, flow, e1);
      checkHistory(c, events, 'ExecutionSucceeded');
      const types = events.map((e) => e.Type);
      c.true(types.includes('TaskSucceeded'), `no TaskSucceeded event: ${show(types)}`);
      if (Number.isInteger(st.rep1)) {
        const ids = events.map((e) => e.EventId);
        c.true(ids.includes(st.rep1), `reported EventId ${st.rep1} is not an event of the history ${show(ids)}`);
      }
      st.done1 = true;
    }
  });

  await check('ReportTaskSucceeded again -> TaskAlreadyCompleted 400', async (c) => {
    need({ done: st.done1 });
    const info = await expectError(c, () => call(cli, 'reportTaskSucceeded', { TaskToken: st.tok1, Output: CALLBACK_OUTPUT }),
      'TaskAlreadyCompleted', 400, 'ReportTaskSucceeded');
    if (info) c.eq(info.message, `Task ${st.tok1} has already completed.`, 'Message');
  });
  await check('ReportTaskFailed on the completed task -> TaskAlreadyCompleted 400', async (c) => {
    need({ done: st.done1 });
    await expectError(c, () => call(cli, 'reportTaskFailed', { TaskToken: st.tok1, Error: 'Rejected', Cause: 'no' }),
      'TaskAlreadyCompleted', 400, 'ReportTaskFailed');
  });

  const e2 = `cb_no_${sfx}`;
  await check('ReportTaskFailed (Error Rejected, Cause no) -> 200 with an integer EventId', async (c) => {
    need({ flow: st.flow });
    const { token } = await startAndToken(c, e2);
    const b = await call(cli, 'reportTaskFailed', { TaskToken: token, Error: 'Rejected', Cause: 'no' });
    c.int(b.EventId, 'EventId');
    c.true(b.RequestId, `RequestId missing in ${show(b)}`);
    st.rep2 = true;
  });
  await check('rejected execution ends Failed; last event ExecutionFailed with Error Rejected', async (c) => {
    need({ report: st.rep2 });
    const b = await waitUntilDone(cli, flow, e2);
    c.eq(b.Status, 'Failed', 'Status');
    c.absent(b, 'Output', 'DescribeExecution body of a failed execution');
    c.time(b.StoppedTime, 'StoppedTime');
    const events = await history(cli, flow, e2);
    checkHistory(c, events, 'ExecutionFailed', { Error: 'Rejected', Cause: 'no' });
    if (c.errors.length) c.fail('events=' + oneLine(show(events), 800));
  });

  const e3 = `cb_stop_${sfx}`;
  await check('ReportTaskSucceeded after StopExecution -> TaskInvalidState 409', async (c) => {
    need({ flow: st.flow });
    const { token } = await startAndToken(c, e3);
    st.tok3 = token;
    const b = await call(cli, 'stopExecution', { FlowName: flow, ExecutionName: e3, Error: STOP_ERROR, Cause: STOP_CAUSE });
    c.eq(b.Status, 'Stopped', 'StopExecution Status');
    const info = await expectError(c, () => call(cli, 'reportTaskSucceeded', { TaskToken: token, Output: CALLBACK_OUTPUT }),
      'TaskInvalidState', 409, 'ReportTaskSucceeded');
    if (info) c.eq(info.message, 'Task is in an invalid state, please retry.', 'Message');
  });
  await check('ReportTaskFailed after StopExecution -> TaskInvalidState 409', async (c) => {
    need({ token: st.tok3 });
    await expectError(c, () => call(cli, 'reportTaskFailed', { TaskToken: st.tok3, Error: 'Rejected', Cause: 'no' }),
      'TaskInvalidState', 409, 'ReportTaskFailed');
  });

  await check('ReportTaskSucceeded with an invalid TaskToken -> InvalidArgument 400', async (c) => {
    await expectError(c, () => call(cli, 'reportTaskSucceeded', { TaskToken: `bogus-${sfx}`, Output: CALLBACK_OUTPUT }),
      'InvalidArgument', 400, 'ReportTaskSucceeded');
  });
  await check('ReportTaskFailed with an invalid TaskToken -> InvalidArgument 400', async (c) => {
    await expectError(c, () => call(cli, 'reportTaskFailed', { TaskToken: `bogus-${sfx}`, Error: 'Rejected', Cause: 'no' }),
      'InvalidArgument', 400, 'ReportTaskFailed');
  });
}

// ---------------------------------------------------------------- UpdateFlow, DeleteFlow, ListFlows, ListExecutions
// (README "Behaviour where the reference is silent"). This SDK has no StartSyncExecution / DescribeRegions, and it
// refuses to send a request without a required parameter (TypeError), so MissingRequiredParams is not checked here.
const ROLE_ARN = 'acs:ram::1234567890123456:role/sdk-conformance';
const EXEC_STATUSES = ['Starting', 'Running', 'Stopped', 'Succeeded', 'Failed', 'TimedOut'];

function expressDefinition(name) {
  return [
    'Type: StateMachine', 'SpecVersion: v1', `Name: ${name}`, 'StartAt: Step1', 'States:',
    '  - Type: Pass', '    Name: Step1', '    OutputConstructor:', '      got.$: $Input.key', '    End: true', '',
  ].join('\n');
}

function checkFlowItem(c, f, what) {
  for (const k of ['Name', 'Definition', 'Type', 'Id']) {
    c.true(typeof f[k] === 'string' && f[k], `${what}.${k}: expected a non-empty string, got ${show(f[k])}`);
  }
  if (f.Description !== undefined && f.Description !== null) {
    c.true(typeof f.Description === 'string', `${what}.Description: expected a string, got ${show(f.Description)}`);
  }
  c.time(f.CreatedTime, `${what}.CreatedTime`);
  c.time(f.LastModifiedTime, `${what}.LastModifiedTime`);
  c.true(['Standard', 'Express', '', undefined, null].includes(f.ExecutionMode),
    `${what}.ExecutionMode: expected Standard/Express, got ${show(f.ExecutionMode)}`);
}

function checkExecItem(c, e, what, metadataOnly = false) {
  c.true(typeof e.Name === 'string' && e.Name, `${what}.Name: expected a non-empty string, got ${show(e.Name)}`);
  c.true(typeof e.FlowName === 'string' && e.FlowName, `${what}.FlowName: expected a string, got ${show(e.FlowName)}`);
  c.true(EXEC_STATUSES.includes(e.Status), `${what}.Status: got ${show(e.Status)}`);
  c.time(e.StartedTime, `${what}.StartedTime`);
  if (['Starting', 'Running'].includes(e.Status)) c.absent(e, 'StoppedTime', what);
  else c.time(e.StoppedTime, `${what}.StoppedTime`);
  if (metadataOnly) {
    for (const k of ['FlowDefinition', 'Input', 'Output']) c.absent(e, k, `${what} (MetadataOnly)`);
  } else {
    c.true(typeof e.FlowDefinition === 'string' && e.FlowDefinition,
      `${what}.FlowDefinition: expected a non-empty string, got ${show(e.FlowDefinition)}`);
    c.jsonObjectString(e.Input, `${what}.Input`);
    if (e.Status === 'Succeeded') c.jsonObjectString(e.Output, `${what}.Output`);
    else c.absent(e, 'Output', `${what} (not Succeeded)`);
  }
}

// Call fetch(nextToken) until NextToken is absent; checks page sizes and that NextToken names the first item
// of the next page. Returns {items, pages}; items is null when the listing did not end.
async function pageAll(c, fetch, key, limit, maxPages = 500, nameKey = 'Name') {
  const items = [];
  const pages = [];
  let token;
  let expectedFirst;
  for (let i = 0; i < maxPages; i += 1) {
    const b = await fetch(token);
    const page = b[key];
    if (!Array.isArray(page)) {
      c.fail(`${key}: expected a list, got ${show(page)} (page ${pages.length + 1})`);
      return { items: null, pages };
    }
    pages.push(page.map((x) => x[nameKey]));
    if (limit !== undefined && page.length > limit) c.fail(`page ${pages.length} has ${page.length} items, more than Limit ${limit}`);
    if (expectedFirst !== undefined) {
      c.eq(page.length ? page[0][nameKey] : null, expectedFirst, `first item of page ${pages.length} (the previous NextToken)`);
    }
    items.push(...page);
    token = b.NextToken;
    if (token === undefined || token === null || token === '') return { items, pages };
    c.true(typeof token === 'string', `NextToken: expected a string, got ${show(token)}`);
    if (limit !== undefined) c.eq(page.length, limit, `size of page ${pages.length} (not the last page)`);
    expectedFirst = token;
  }
  c.fail(`NextToken still present after ${maxPages} pages`);
  return { items: null, pages };
}

const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

async function moreActionsChecks(cli, sfx) {
  const pre = 'sdk_node';
  const st = {};
  const api = {
    createFlow: (name, definition, description, extra = {}) => call(cli, 'createFlow',
      { Name: name, Definition: definition, Description: description, Type: 'FDL', ...extra }),
    describeFlow: (name) => call(cli, 'describeFlow', { Name: name }),
    updateFlow: (params) => call(cli, 'updateFlow', params),
    deleteFlow: (name) => call(cli, 'deleteFlow', { Name: name }),
    start: (flow, name) => call(cli, 'startExecution', { FlowName: flow, ExecutionName: name, Input: INPUT }),
    describe: (flow, name) => call(cli, 'describeExecution', { FlowName: flow, ExecutionName: name }),
    stop: (flow, name) => call(cli, 'stopExecution', { FlowName: flow, ExecutionName: name, Error: STOP_ERROR, Cause: STOP_CAUSE }),
    listFlows: (params = {}) => call(cli, 'listFlows', params),
    listExecutions: (flow, params = {}) => call(cli, 'listExecutions', { FlowName: flow, ...params }),
  };
  const namesOf = (b) => (b.Executions || []).map((e) => e.Name);

  // ---------------- UpdateFlow
  const uflow = `${pre}_upd_${sfx}`;
  const udef = holdDefinition(uflow);
  await check('UpdateFlow: setup (CreateFlow + a running execution)', async (c) => {
    st.uCreated = await api.createFlow(uflow, udef, 'first');
    const b = await api.start(uflow, 'old');
    c.true(['Running', 'Starting'].includes(b.Status), `StartExecution: Status ${show(b.Status)}`);
    st.uflow = uflow;
  });
  await check('UpdateFlow with only Description: other fields unchanged', async (c) => {
    need({ flow: st.uflow });
    const created = st.uCreated;
    const b = await api.updateFlow({ Name: uflow, Description: 'second' });
    c.eq(b.Name, uflow, 'Name');
    c.eq(b.Description, 'second', 'Description');
    c.eq(b.Definition, udef, 'Definition');
    c.eq(b.Type, 'FDL', 'Type');
    c.eq(b.Id, created.Id, 'Id (same as CreateFlow)');
    c.eq(b.CreatedTime, created.CreatedTime, 'CreatedTime (same as CreateFlow)');
    c.time(b.LastModifiedTime, 'LastModifiedTime');
    if (typeof b.LastModifiedTime === 'string' && typeof created.LastModifiedTime === 'string') {
      c.true(b.LastModifiedTime >= created.LastModifiedTime,
        `LastModifiedTime went backwards: ${created.LastModifiedTime} -> ${b.LastModifiedTime}`);
    }
    c.true(b.RequestId, 'RequestId missing');
    c.absent(b, 'RoleArn', 'UpdateFlow body (flow created without RoleArn)');
    const d = await api.describeFlow(uflow);
    c.eq(d.Description, 'second', 'DescribeFlow.Description');
    c.eq(d.Definition, udef, 'DescribeFlow.Definition');
    c.eq(d.LastModifiedTime, b.LastModifiedTime, 'DescribeFlow.LastModifiedTime (same as UpdateFlow)');
    st.uDesc = true;
  });
  const newDef = passDefinition(uflow);
  await check('UpdateFlow with only Definition: Description kept; running execution keeps its snapshot', async (c) => {
    need({ updated: st.uDesc });
    const b = await api.updateFlow({ Name: uflow, Definition: newDef });
    c.eq(b.Definition, newDef, 'Definition');
    c.eq(b.Description, 'second', 'Description (unchanged)');
    const d = await api.describeFlow(uflow);
    c.eq(d.Definition, newDef, 'DescribeFlow.Definition');
    c.eq(d.Description, 'second', 'DescribeFlow.Description');
    const e = await api.describe(uflow, 'old');
    c.eq(e.FlowDefinition, udef, 'DescribeExecution(old).FlowDefinition (snapshot at start)');
    c.true(['Running', 'Starting'].includes(e.Status), `DescribeExecution(old).Status: ${show(e.Status)}`);
    st.uDef = true;
  });
  await check('UpdateFlow RoleArn set, then empty RoleArn removes it', async (c) => {
    need({ updated: st.uDef });
    let b = await api.updateFlow({ Name: uflow, RoleArn: ROLE_ARN });
    c.eq(b.RoleArn, ROLE_ARN, 'UpdateFlow.RoleArn');
    c.eq((await api.describeFlow(uflow)).RoleArn, ROLE_ARN, 'DescribeFlow.RoleArn');
    c.eq(b.Description, 'second', 'Description (unchanged)');
    b = await api.updateFlow({ Name: uflow, RoleArn: '' });
    c.absent(b, 'RoleArn', 'UpdateFlow body after RoleArn=""');
    c.absent(await api.describeFlow(uflow), 'RoleArn', 'DescribeFlow body after RoleArn=""');
  });
  await check('UpdateFlow with an invalid Definition -> InvalidArgument 400, nothing changed', async (c) => {
    need({ updated: st.uDef });
    await expectError(c, () => api.updateFlow({ Name: uflow, Definition: badDefinition(uflow), Description: 'third' }),
      'InvalidArgument', 400, 'UpdateFlow');
    const d = await api.describeFlow(uflow);
    c.eq(d.Definition, newDef, 'DescribeFlow.Definition');
    c.eq(d.Description, 'second', 'DescribeFlow.Description');
  });
  await check('UpdateFlow of an unknown flow -> FlowNotExists 404', async (c) => {
    await expectError(c, () => api.updateFlow({ Name: `nosuch_flow_${sfx}`, Description: 'x' }), 'FlowNotExists', 404, 'UpdateFlow');
  });

  // ---------------- DeleteFlow
  const dflow = `${pre}_del_${sfx}`;
  await check('DeleteFlow of a flow with a running execution -> 200', async (c) => {
    await api.createFlow(dflow, holdDefinition(dflow), 'to delete');
    const b = await api.start(dflow, 'e1');
    c.true(['Running', 'Starting'].includes(b.Status), `StartExecution: Status ${show(b.Status)}`);
    const d = await api.deleteFlow(dflow);
    c.true(d.RequestId, `RequestId missing in ${show(d)}`);
    st.deleted = true;
  });
  await check('deleted flow: DescribeFlow, DescribeExecution, ListExecutions -> FlowNotExists 404', async (c) => {
    need({ deleted: st.deleted });
    await expectError(c, () => api.describeFlow(dflow), 'FlowNotExists', 404, 'DescribeFlow');
    await expectError(c, () => api.describe(dflow, 'e1'), 'FlowNotExists', 404, 'DescribeExecution');
    await expectError(c, () => api.listExecutions(dflow), 'FlowNotExists', 404, 'ListExecutions');
    await expectError(c, () => api.start(dflow, 'e2'), 'FlowNotExists', 404, 'StartExecution');
    await expectError(c, () => api.deleteFlow(dflow), 'FlowNotExists', 404, 'DeleteFlow (again)');
  });
  await check('flow re-created with the same name: old executions are gone', async (c) => {
    need({ deleted: st.deleted });
    await api.createFlow(dflow, holdDefinition(dflow), 'recreated');
    await expectError(c, () => api.describe(dflow, 'e1'), 'ExecutionNotExists', 404, 'DescribeExecution');
    await expectError(c, () => call(cli, 'getExecutionHistory', { FlowName: dflow, ExecutionName: 'e1' }),
      'ExecutionNotExists', 404, 'GetExecutionHistory');
    const l = await api.listExecutions(dflow);
    c.eq(l.Executions || [], [], 'ListExecutions.Executions');
    c.absent(l, 'NextToken', 'ListExecutions body');
    const b = await api.start(dflow, 'e1');
    c.eq(b.Name, 'e1', 'StartExecution reusing the old name: Name');
    c.true(['Running', 'Starting'].includes(b.Status), `StartExecution reusing the old name: Status ${show(b.Status)}`);
    await api.stop(dflow, 'e1');
    await api.deleteFlow(dflow);
  });
  await check('DeleteFlow of an unknown flow -> FlowNotExists 404', async (c) => {
    await expectError(c, () => api.deleteFlow(`nosuch_flow_${sfx}`), 'FlowNotExists', 404, 'DeleteFlow');
  });

  // ---------------- ListFlows
  const lflows = ['c', 'a', 'b'].map((x) => `${pre}_lst_${sfx}_${x}`);
  const xflow = `${pre}_exp_${sfx}`;
  await check('ListFlows: setup (3 Standard flows + 1 Express flow)', async (c) => {
    for (const n of lflows) await api.createFlow(n, passDefinition(n), 'listed');
    const b = await api.createFlow(xflow, expressDefinition(xflow), 'express', { ExecutionMode: 'Express' });
    c.eq(b.ExecutionMode, 'Express', 'CreateFlow.ExecutionMode');
    c.eq((await api.describeFlow(xflow)).ExecutionMode, 'Express', 'DescribeFlow.ExecutionMode');
    st.lflows = true;
  });
  await check('ListFlows paged with Limit 2 until NextToken is absent: sorted by name, complete', async (c) => {
    need({ flows: st.lflows });
    const { items } = await pageAll(c, (t) => api.listFlows(t ? { Limit: 2, NextToken: t } : { Limit: 2 }), 'Flows', 2);
    if (items) {
      const names = items.map((f) => f.Name);
      c.eq(names, [...names].sort(byName), 'names in name order');
      c.eq(new Set(names).size, names.length, `number of distinct names (duplicates in ${show(names)})`);
      for (const n of [...lflows, xflow, uflow]) c.true(names.includes(n), `${n} missing from ListFlows`);
      c.true(!names.includes(dflow), `deleted flow ${dflow} still listed`);
      for (const f of items) {
        if ([...lflows, xflow].includes(f.Name)) checkFlowItem(c, f, `Flows[${f.Name}]`);
        if (f.Name === xflow) c.eq(f.ExecutionMode, 'Express', `Flows[${xflow}].ExecutionMode`);
        if (f.Name === lflows[1]) {
          c.eq(f.Definition, passDefinition(lflows[1]), `Flows[${lflows[1]}].Definition`);
          c.eq(f.Description, 'listed', `Flows[${lflows[1]}].Description`);
          c.eq(f.Type, 'FDL', `Flows[${lflows[1]}].Type`);
        }
      }
      st.allFlows = names;
    }
  });
  await check('ListFlows Limit 1000 answers everything in one page without NextToken', async (c) => {
    need({ listing: st.allFlows });
    const b = await api.listFlows({ Limit: 1000 });
    c.eq((b.Flows || []).map((f) => f.Name), st.allFlows, 'Flows (same as the paged listing)');
    c.absent(b, 'NextToken', 'ListFlows body');
    c.true(b.RequestId, 'RequestId missing');
  });
  await check('ListFlows without Limit answers 60 flows (default) and a NextToken', async (c) => {
    need({ listing: st.allFlows });
    const pads = [];
    try {
      for (let i = 0; i < Math.max(0, 61 - st.allFlows.length); i += 1) {
        const n = `${pre}_pad_${sfx}_${String(i).padStart(2, '0')}`;
        await api.createFlow(n, passDefinition(n), 'padding');
        pads.push(n);
      }
      const b = await api.listFlows();
      c.eq((b.Flows || []).length, 60, 'number of Flows');
      c.true(typeof b.NextToken === 'string' && b.NextToken, `NextToken: expected a flow name, got ${show(b.NextToken)}`);
    } finally {
      for (const n of pads) await api.deleteFlow(n);
    }
  });
  for (const lim of [0, 1001, -1]) {
    await check(`ListFlows Limit ${lim} -> InvalidArgument 400`, async (c) => {
      await expectError(c, () => api.listFlows({ Limit: lim }), 'InvalidArgument', 400, 'ListFlows');
    });
  }

  // ---------------- ListExecutions
  const eflow = `${pre}_lx_${sfx}`;
  const order = ['run0', 'run1', 'run2', 'run3', 'run4', 'other'];
  const newestFirst = [...order].reverse();
  const starts = {};
  await check('ListExecutions: setup (6 executions, one stopped)', async (c) => {
    await api.createFlow(eflow, holdDefinition(eflow), 'list executions');
    for (const n of order) {
      starts[n] = (await api.start(eflow, n)).StartedTime;
      await sleep(10); // distinct millisecond StartedTimes
    }
    c.eq((await api.stop(eflow, 'run1')).Status, 'Stopped', 'run1 Status');
    c.eq(new Set(Object.values(starts)).size, order.length, `distinct StartedTimes ${show(starts)}`);
    st.lx = true;
  });
  await check('ListExecutions: newest first, all fields, no NextToken', async (c) => {
    need({ setup: st.lx });
    const b = await api.listExecutions(eflow);
    c.eq(namesOf(b), newestFirst, 'names');
    c.absent(b, 'NextToken', 'ListExecutions body');
    c.true(b.RequestId, 'RequestId missing');
    for (const e of b.Executions || []) {
      checkExecItem(c, e, `Executions[${e.Name}]`);
      c.eq(e.FlowName, eflow, `Executions[${e.Name}].FlowName`);
      if (starts[e.Name]) c.eq(e.StartedTime, starts[e.Name], `Executions[${e.Name}].StartedTime`);
      c.eq(e.Status, e.Name === 'run1' ? 'Stopped' : 'Running', `Executions[${e.Name}].Status`);
      c.eq(e.Input, INPUT, `Executions[${e.Name}].Input`);
      c.eq(e.FlowDefinition, holdDefinition(eflow), `Executions[${e.Name}].FlowDefinition`);
    }
  });
  await check('ListExecutions paged with Limit 2 until NextToken is absent', async (c) => {
    need({ setup: st.lx });
    const { pages } = await pageAll(c, (t) => api.listExecutions(eflow, t ? { Limit: 2, NextToken: t } : { Limit: 2 }),
      'Executions', 2);
    c.eq(pages, [newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4, 6)], 'pages');
  });
  await check('ListExecutions Status filter (Stopped, Running)', async (c) => {
    need({ setup: st.lx });
    c.eq(namesOf(await api.listExecutions(eflow, { Status: 'Stopped' })), ['run1'], 'Status=Stopped');
    c.eq(namesOf(await api.listExecutions(eflow, { Status: 'Running' })), newestFirst.filter((n) => n !== 'run1'), 'Status=Running');
    c.eq(namesOf(await api.listExecutions(eflow, { Status: 'Succeeded' })), [], 'Status=Succeeded');
  });
  await check('ListExecutions ExecutionNamePrefix filter, paged with Limit 2', async (c) => {
    need({ setup: st.lx });
    const runs = newestFirst.filter((n) => n.startsWith('run'));
    c.eq(namesOf(await api.listExecutions(eflow, { ExecutionNamePrefix: 'run' })), runs, 'ExecutionNamePrefix=run');
    const { pages } = await pageAll(c, (t) => api.listExecutions(eflow,
      t ? { ExecutionNamePrefix: 'run', Limit: 2, NextToken: t } : { ExecutionNamePrefix: 'run', Limit: 2 }), 'Executions', 2);
    c.eq(pages, [runs.slice(0, 2), runs.slice(2, 4), runs.slice(4, 5)], 'pages');
    c.eq(namesOf(await api.listExecutions(eflow, { ExecutionNamePrefix: 'run', Status: 'Running' })),
      runs.filter((n) => n !== 'run1'), 'ExecutionNamePrefix=run + Status=Running');
    c.eq(namesOf(await api.listExecutions(eflow, { ExecutionNamePrefix: 'zzz' })), [], 'ExecutionNamePrefix=zzz');
  });
  await check('ListExecutions StartedTimeBegin/StartedTimeEnd filters (inclusive)', async (c) => {
    need({ setup: st.lx });
    const t2 = starts.run2;
    need({ run2Started: t2 });
    c.eq(namesOf(await api.listExecutions(eflow, { StartedTimeBegin: t2 })), ['other', 'run4', 'run3', 'run2'], `StartedTimeBegin=${t2}`);
    c.eq(namesOf(await api.listExecutions(eflow, { StartedTimeEnd: t2 })), ['run2', 'run1', 'run0'], `StartedTimeEnd=${t2}`);
    c.eq(namesOf(await api.listExecutions(eflow, { StartedTimeBegin: t2, StartedTimeEnd: t2 })), ['run2'], 'StartedTimeBegin=StartedTimeEnd');
    c.eq(namesOf(await api.listExecutions(eflow, { StartedTimeBegin: '2999-01-01T00:00:00.000Z' })), [], 'StartedTimeBegin in 2999');
    c.eq(namesOf(await api.listExecutions(eflow, { StartedTimeEnd: '2999-01-01T00:00:00.000Z' })), newestFirst, 'StartedTimeEnd in 2999');
    c.eq(namesOf(await api.listExecutions(eflow, { StartedTimeBegin: starts.run3, Limit: 1, Status: 'Running' })), ['other'],
      'StartedTimeBegin + Status + Limit 1');
  });
  await check('ListExecutions MetadataOnly=true leaves out FlowDefinition, Input, Output', async (c) => {
    need({ setup: st.lx });
    let b = await api.listExecutions(eflow, { MetadataOnly: true });
    c.eq(namesOf(b), newestFirst, 'names');
    for (const e of b.Executions || []) checkExecItem(c, e, `Executions[${e.Name}]`, true);
    b = await api.listExecutions(eflow, { MetadataOnly: false });
    for (const e of b.Executions || []) {
      c.true(typeof e.FlowDefinition === 'string' && e.FlowDefinition, `MetadataOnly=false: Executions[${e.Name}].FlowDefinition missing`);
    }
  });
  const mflow = `${pre}_many_${sfx}`;
  await check('ListExecutions default Limit is 60; Limit 100 answers all 61 with Output', async (c) => {
    await api.createFlow(mflow, passDefinition(mflow), 'many executions');
    const names = Array.from({ length: 61 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const n of names) await api.start(mflow, n);
    for (const n of [names[0], names[60]]) c.eq((await waitUntilDone(cli, mflow, n)).Status, 'Succeeded', `${n} Status`);
    const reversed = [...names].reverse();
    const b = await api.listExecutions(mflow);
    const got = namesOf(b);
    c.eq(got.length, 60, 'number of Executions without Limit');
    c.true(typeof b.NextToken === 'string' && b.NextToken, `NextToken: expected an execution name, got ${show(b.NextToken)}`);
    if (b.NextToken) {
      const b2 = await api.listExecutions(mflow, { NextToken: b.NextToken });
      c.eq([...got, ...namesOf(b2)], reversed, 'both pages');
      c.absent(b2, 'NextToken', 'second page');
    }
    const all = await api.listExecutions(mflow, { Limit: 100 });
    c.eq(namesOf(all), reversed, 'Limit 100');
    c.absent(all, 'NextToken', 'Limit 100 body');
    const e = (all.Executions || []).find((x) => x.Name === names[0]);
    if (e) {
      checkExecItem(c, e, `Executions[${names[0]}]`);
      c.eq(e.Status, 'Succeeded', `Executions[${names[0]}].Status`);
      c.eq(e.Output, INPUT, `Executions[${names[0]}].Output`);
    }
  });
  for (const lim of [0, 101]) {
    await check(`ListExecutions Limit ${lim} -> InvalidArgument 400`, async (c) => {
      need({ setup: st.lx });
      await expectError(c, () => api.listExecutions(eflow, { Limit: lim }), 'InvalidArgument', 400, 'ListExecutions');
    });
  }
  await check('ListExecutions with an unknown Status -> InvalidArgument 400', async (c) => {
    need({ setup: st.lx });
    await expectError(c, () => api.listExecutions(eflow, { Status: 'Sleeping' }), 'InvalidArgument', 400, 'ListExecutions');
  });
  await check('ListExecutions with a StartedTimeBegin that is not RFC 3339 -> InvalidArgument 400', async (c) => {
    need({ setup: st.lx });
    await expectError(c, () => api.listExecutions(eflow, { StartedTimeBegin: 'yesterday' }), 'InvalidArgument', 400, 'ListExecutions');
  });
  await check('ListExecutions of an unknown flow -> FlowNotExists 404', async (c) => {
    await expectError(c, () => api.listExecutions(`nosuch_flow_${sfx}`), 'FlowNotExists', 404, 'ListExecutions');
  });

  // ---------------- Express flows (no StartSyncExecution in this SDK)
  await check('StartExecution on an Express flow -> InvalidArgument 400', async (c) => {
    need({ flows: st.lflows });
    await expectError(c, () => api.start(xflow, 'async1'), 'InvalidArgument', 400, 'StartExecution');
  });
}

// ---------------------------------------------------------------- Schedules (createSchedule, describeSchedule,
// updateSchedule, deleteSchedule, listSchedules) and their firing on the emulated clock
// (README "Behaviour where the reference is silent", "Schedules"; api.md 6 "Schedules"). This SDK sends a JS
// boolean Enable as the text true/false; deleteSchedule goes out as GET (no method set in lib/client.js).
const SCHED_CRON = '0 * * * * *';
const SCHED_PAYLOAD = '{"source": "schedule", "n": 1}';
const SCHED_ADVANCE = 120;
const SCHED_FIELDS = ['ScheduleId', 'ScheduleName', 'CronExpression', 'Description', 'Enable', 'Payload', 'CreatedTime',
  'LastModifiedTime'];

function parseTimeMs(v) {
  if (typeof v !== 'string' || !TIME_RE.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : ms;
}

async function advanceClock(seconds) {
  const r = await emulatorHttp('POST', `/_emulator/clock/advance?seconds=${seconds}`);
  let body = r.text;
  try { body = JSON.parse(r.text); } catch (e) { /* keep the text */ }
  return { status: r.status, body };
}

function checkScheduleItem(c, s, what) {
  if (!c.true(s && typeof s === 'object', `${what}: expected an object, got ${show(s)}`)) return;
  for (const k of ['ScheduleId', 'ScheduleName', 'CronExpression']) {
    c.true(typeof s[k] === 'string' && s[k], `${what}.${k}: expected a non-empty string, got ${show(s[k])}`);
  }
  c.true(typeof s.Enable === 'boolean', `${what}.Enable: expected a JSON boolean, got ${show(s.Enable)}`);
  c.time(s.CreatedTime, `${what}.CreatedTime`);
  c.time(s.LastModifiedTime, `${what}.LastModifiedTime`);
  for (const k of ['Description', 'Payload']) {
    if (s[k] !== undefined && s[k] !== null) c.true(typeof s[k] === 'string', `${what}.${k}: expected a string, got ${show(s[k])}`);
  }
}

async function scheduleChecks(cli, sfx) {
  const st = {};
  const flow = `sdk_node_sch_${sfx}`;
  const main = 'sch_main';
  const off = 'sch_off';
  const extra = 'sch_a_extra';
  const desc = 'every minute';
  const api = {
    create: (f, n, cron, extraParams = {}) => call(cli, 'createSchedule',
      { FlowName: f, ScheduleName: n, CronExpression: cron, ...extraParams }),
    describe: (f, n) => call(cli, 'describeSchedule', { FlowName: f, ScheduleName: n }),
    update: (f, n, params) => call(cli, 'updateSchedule', { FlowName: f, ScheduleName: n, ...params }),
    del: (f, n) => call(cli, 'deleteSchedule', { FlowName: f, ScheduleName: n }),
    list: (f, params = {}) => call(cli, 'listSchedules', { FlowName: f, ...params }),
    listExecutions: (f) => call(cli, 'listExecutions', { FlowName: f, Limit: 100 }),
  };

  await check('Schedules: setup (a Pass flow)', async (c) => {
    const b = await call(cli, 'createFlow', { Name: flow, Definition: passDefinition(flow), Description: 'scheduled', Type: 'FDL' });
    c.eq(b.Name, flow, 'CreateFlow.Name');
    st.flow = flow;
  });

  await check('CreateSchedule (CronExpression "0 * * * * *", Payload JSON object, Enable true): answer fields', async (c) => {
    need({ flow: st.flow });
    const b = await api.create(flow, main, SCHED_CRON, { Payload: SCHED_PAYLOAD, Enable: true, Description: desc });
    st.main = b;
    checkScheduleItem(c, b, 'CreateSchedule');
    c.eq(b.ScheduleName, main, 'ScheduleName');
    c.eq(b.CronExpression, SCHED_CRON, 'CronExpression');
    c.eq(b.Payload, SCHED_PAYLOAD, 'Payload');
    c.eq(b.Enable, true, 'Enable');
    c.eq(b.Description, desc, 'Description');
    c.true(b.RequestId, 'RequestId missing');
  });

  await check('DescribeSchedule returns the created schedule', async (c) => {
    need({ created: st.main });
    const b = await api.describe(flow, main);
    checkScheduleItem(c, b, 'DescribeSchedule');
    for (const k of SCHED_FIELDS) c.eq(b[k], st.main[k], `${k} (same as CreateSchedule)`);
    c.true(b.RequestId, 'RequestId missing');
  });

  await check('CreateSchedule without Enable: Enable is false (default), no Payload', async (c) => {
    need({ flow: st.flow });
    const b = await api.create(flow, off, SCHED_CRON);
    checkScheduleItem(c, b, 'CreateSchedule');
    c.eq(b.Enable, false, 'Enable');
    c.absent(b, 'Payload', 'CreateSchedule body');
    c.eq((await api.describe(flow, off)).Enable, false, 'DescribeSchedule.Enable');
    st.off = b;
  });

  await check('UpdateSchedule with only Description: omitted fields unchanged', async (c) => {
    need({ created: st.main });
    const b = await api.update(flow, main, { Description: 'changed' });
    checkScheduleItem(c, b, 'UpdateSchedule');
    c.eq(b.Description, 'changed', 'Description');
    for (const k of ['ScheduleId', 'ScheduleName', 'CronExpression', 'Payload', 'Enable', 'CreatedTime']) {
      c.eq(b[k], st.main[k], `${k} (unchanged)`);
    }
    if (typeof b.LastModifiedTime === 'string' && typeof st.main.LastModifiedTime === 'string') {
      c.true(b.LastModifiedTime >= st.main.LastModifiedTime,
        `LastModifiedTime went backwards: ${st.main.LastModifiedTime} -> ${b.LastModifiedTime}`);
    }
    c.true(b.RequestId, 'RequestId missing');
    const d = await api.describe(flow, main);
    for (const k of SCHED_FIELDS) c.eq(d[k], b[k], `DescribeSchedule.${k} (same as UpdateSchedule)`);
    st.updated = true;
  });

  await check('UpdateSchedule Enable false, then Enable true (sent by the SDK as false/true)', async (c) => {
    need({ updated: st.updated });
    let b = await api.update(flow, main, { Enable: false });
    c.eq(b.Enable, false, 'UpdateSchedule(Enable=false).Enable');
    c.eq((await api.describe(flow, main)).Enable, false, 'DescribeSchedule.Enable after disabling');
    c.eq(b.Description, 'changed', 'Description (unchanged)');
    // Executions already started by a real minute boundary while enabled (normally none).
    st.preFired = ((await api.listExecutions(flow)).Executions || []).length;
    b = await api.update(flow, main, { Enable: true });
    c.eq(b.Enable, true, 'UpdateSchedule(Enable=true).Enable');
    c.eq((await api.describe(flow, main)).Enable, true, 'DescribeSchedule.Enable after enabling');
    c.eq(b.Payload, SCHED_PAYLOAD, 'Payload (unchanged)');
    c.eq(b.CronExpression, SCHED_CRON, 'CronExpression (unchanged)');
    c.time(b.LastModifiedTime, 'LastModifiedTime');
    st.enabledAt = b.LastModifiedTime;
  });

  await check('UpdateSchedule CronExpression (@every 1m30s) and Payload on the disabled schedule', async (c) => {
    need({ off: st.off });
    const b = await api.update(flow, off, { CronExpression: '@every 1m30s', Payload: '{"k": "v"}' });
    c.eq(b.CronExpression, '@every 1m30s', 'CronExpression');
    c.eq(b.Payload, '{"k": "v"}', 'Payload');
    c.eq(b.Enable, false, 'Enable (unchanged)');
    c.eq(b.ScheduleId, st.off.ScheduleId, 'ScheduleId (unchanged)');
    const d = await api.describe(flow, off);
    c.eq(d.CronExpression, '@every 1m30s', 'DescribeSchedule.CronExpression');
    c.eq(d.Payload, '{"k": "v"}', 'DescribeSchedule.Payload');
  });

  await check('CreateSchedule with an existing name -> ScheduleAlreadyExists 409', async (c) => {
    need({ created: st.main });
    const info = await expectError(c, () => api.create(flow, main, SCHED_CRON), 'ScheduleAlreadyExists', 409, 'CreateSchedule');
    if (info) c.eq(info.message, `The schedule ${main} already exists in flow ${flow}.`, 'Message');
  });

  for (const cron of ['* * * * *', 'bogus', '61 * * * * *']) {
    await check(`CreateSchedule with CronExpression '${cron}' -> InvalidArgument 400, not created`, async (c) => {
      need({ flow: st.flow });
      await expectError(c, () => api.create(flow, 'sch_bad', cron, { Enable: true }), 'InvalidArgument', 400, 'CreateSchedule');
      await expectError(c, () => api.describe(flow, 'sch_bad'), 'ScheduleNotExists', 404, 'DescribeSchedule');
    });
  }
  await check('UpdateSchedule with a bad CronExpression -> InvalidArgument 400, nothing changed', async (c) => {
    need({ updated: st.updated });
    await expectError(c, () => api.update(flow, main, { CronExpression: '0 * * *', Description: 'nope' }),
      'InvalidArgument', 400, 'UpdateSchedule');
    const d = await api.describe(flow, main);
    c.eq(d.CronExpression, SCHED_CRON, 'DescribeSchedule.CronExpression');
    c.eq(d.Description, 'changed', 'DescribeSchedule.Description');
  });
  for (const payload of ['[1]', '{not json']) {
    await check(`CreateSchedule with Payload '${payload}' (not a JSON object) -> InvalidArgument 400`, async (c) => {
      need({ flow: st.flow });
      await expectError(c, () => api.create(flow, 'sch_badp', SCHED_CRON, { Payload: payload }), 'InvalidArgument', 400,
        'CreateSchedule');
    });
  }

  await check('DescribeSchedule of an unknown schedule -> ScheduleNotExists 404 with the documented message', async (c) => {
    need({ flow: st.flow });
    const info = await expectError(c, () => api.describe(flow, `nosuch_${sfx}`), 'ScheduleNotExists', 404, 'DescribeSchedule');
    if (info) c.eq(info.message, `The schedule nosuch_${sfx} for flow ${flow} does not exist.`, 'Message');
  });
  await check('UpdateSchedule / DeleteSchedule of an unknown schedule -> ScheduleNotExists 404', async (c) => {
    need({ flow: st.flow });
    await expectError(c, () => api.update(flow, `nosuch_${sfx}`, { Description: 'x' }), 'ScheduleNotExists', 404, 'UpdateSchedule');
    await expectError(c, () => api.del(flow, `nosuch_${sfx}`), 'ScheduleNotExists', 404, 'DeleteSchedule');
  });
  await check('schedule actions on an unknown flow -> FlowNotExists 404', async (c) => {
    const nf = `nosuch_flow_${sfx}`;
    await expectError(c, () => api.create(nf, main, SCHED_CRON), 'FlowNotExists', 404, 'CreateSchedule');
    await expectError(c, () => api.describe(nf, main), 'FlowNotExists', 404, 'DescribeSchedule');
    await expectError(c, () => api.update(nf, main, { Description: 'x' }), 'FlowNotExists', 404, 'UpdateSchedule');
    await expectError(c, () => api.del(nf, main), 'FlowNotExists', 404, 'DeleteSchedule');
    await expectError(c, () => api.list(nf), 'FlowNotExists', 404, 'ListSchedules');
  });

  const names = [main, off, extra].sort(byName);
  await check('ListSchedules paged with Limit 2 until NextToken is absent: by name, all fields', async (c) => {
    need({ created: st.main, off: st.off });
    await api.create(flow, extra, SCHED_CRON, { Enable: false, Description: 'third' });
    const { items, pages } = await pageAll(c, (t) => api.list(flow, t ? { Limit: 2, NextToken: t } : { Limit: 2 }),
      'Schedules', 2, 500, 'ScheduleName');
    c.eq(pages, [names.slice(0, 2), names.slice(2, 3)], 'pages');
    for (const s of items || []) {
      checkScheduleItem(c, s, `Schedules[${s.ScheduleName}]`);
      if (s.ScheduleName === main) {
        const d = await api.describe(flow, main);
        for (const k of SCHED_FIELDS) c.eq(s[k], d[k], `Schedules[${main}].${k} (same as DescribeSchedule)`);
      }
    }
    st.listed = true;
  });
  await check('ListSchedules without Limit: all schedules, no NextToken; Limit 1 pages one by one', async (c) => {
    need({ listed: st.listed });
    const b = await api.list(flow);
    c.eq((b.Schedules || []).map((s) => s.ScheduleName), names, 'ScheduleNames');
    c.absent(b, 'NextToken', 'ListSchedules body');
    c.true(b.RequestId, 'RequestId missing');
    const { pages } = await pageAll(c, (t) => api.list(flow, t ? { Limit: 1, NextToken: t } : { Limit: 1 }),
      'Schedules', 1, 500, 'ScheduleName');
    c.eq(pages, names.map((n) => [n]), 'pages with Limit 1');
  });
  for (const lim of [0, 1001]) {
    await check(`ListSchedules Limit ${lim} -> InvalidArgument 400`, async (c) => {
      need({ flow: st.flow });
      await expectError(c, () => api.list(flow, { Limit: lim }), 'InvalidArgument', 400, 'ListSchedules');
    });
  }

  // ---- firing on the emulated clock
  const nameRe = new RegExp(`^${main}-[0-9a-f]{32}$`);
  await check(`schedule firing: clock advance ${SCHED_ADVANCE} s starts one execution per minute boundary (2), Input = Payload`, async (c) => {
    need({ enabled: st.enabledAt });
    const adv = await advanceClock(SCHED_ADVANCE);
    c.eq(adv.status, 200, `POST /_emulator/clock/advance status (body ${show(adv.body)})`);
    const nowMs = parseTimeMs(adv.body && adv.body.Now);
    const startMs = parseTimeMs(st.enabledAt);
    need({ clockNow: nowMs, timerStart: startMs });
    // Occurrences of "0 * * * * *" in (timer start, now]: 2, or 3 if a real minute boundary passed between
    // the UpdateSchedule that restarted the timer and the advance.
    const boundaries = Math.floor(nowMs / 60000) - Math.floor(startMs / 60000);
    c.true(boundaries === 2 || boundaries === 3, `minute boundaries between ${st.enabledAt} and ${adv.body.Now}: ${boundaries}`);
    const expected = boundaries + (st.preFired || 0);
    const deadline = Date.now() + 5000;
    let execs;
    for (;;) {
      execs = (await api.listExecutions(flow)).Executions || [];
      const done = execs.filter((e) => !['Starting', 'Running'].includes(e.Status));
      if ((execs.length >= expected && done.length === execs.length) || Date.now() > deadline) break;
      await sleep(50);
    }
    c.eq(execs.length, expected, `number of executions started by the schedule (${show(execs.map((e) => e.Name))})`);
    for (const e of execs) {
      c.true(typeof e.Name === 'string' && nameRe.test(e.Name), `execution name: expected ${main}-{32 hex digits}, got ${show(e.Name)}`);
      c.eq(e.Input, SCHED_PAYLOAD, `Executions[${e.Name}].Input (the Payload)`);
      c.eq(e.Status, 'Succeeded', `Executions[${e.Name}].Status`);
      checkExecItem(c, e, `Executions[${e.Name}]`);
    }
    st.fired = execs.length;
  });

  await check('DeleteSchedule -> 200; DescribeSchedule then ScheduleNotExists; the timer stops', async (c) => {
    need({ fired: st.fired });
    const b = await api.del(flow, main);
    c.true(b.RequestId, `RequestId missing in ${show(b)}`);
    await expectError(c, () => api.describe(flow, main), 'ScheduleNotExists', 404, 'DescribeSchedule');
    await expectError(c, () => api.del(flow, main), 'ScheduleNotExists', 404, 'DeleteSchedule (again)');
    c.eq(((await api.list(flow)).Schedules || []).map((s) => s.ScheduleName), [off, extra].sort(byName),
      'ListSchedules after the delete');
    const adv = await advanceClock(60);
    c.eq(adv.status, 200, `POST /_emulator/clock/advance status (body ${show(adv.body)})`);
    await sleep(100);
    const execs = (await api.listExecutions(flow)).Executions || [];
    c.eq(execs.length, st.fired, 'number of executions after another minute (deleted schedule must not fire)');
    for (const n of [off, extra]) await api.del(flow, n);
    c.eq((await api.list(flow)).Schedules || [], [], 'ListSchedules after deleting all');
  });
}

main().then((code) => process.exit(code), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(2);
});
