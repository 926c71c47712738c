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

  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(2);
});
