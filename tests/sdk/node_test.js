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

main().then((code) => process.exit(code), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(2);
});
