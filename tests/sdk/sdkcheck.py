"""Tiny check framework + shared fixtures for the Python SDK conformance suites.

Each check prints exactly one line, ``ok - NAME`` or ``not ok - NAME: DETAIL``; the
suite ends with ``N passed, M failed``. A failing check never stops the suite: later
checks that depend on an earlier result fail with a "prerequisite missing" detail.
"""

import json
import os
import random
import re
import string
import sys
import time
import traceback
import urllib.error
import urllib.request

# Time format of the documented examples, e.g. 2019-01-01T01:01:01.001Z (api.md 5, 6).
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')

ENDPOINT = os.environ.get('CLOUDFLOW_ENDPOINT', '127.0.0.1:8080')
AK = os.environ.get('CLOUDFLOW_AK', 'testKeyId')
SK = os.environ.get('CLOUDFLOW_SK', 'testKeySecret')

INPUT = '{"key":"value"}'
STOP_ERROR = 'MyError'
STOP_CAUSE = 'for test'


def rand_suffix(n=8):
    return ''.join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def hold_definition(name):
    """New-style FDL: a 300 s Wait, so the execution stays Running for the whole suite."""
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        'StartAt: Hold\n'
        'States:\n'
        '  - Type: Wait\n'
        '    Name: Hold\n'
        '    Seconds: 300\n'
        '    Next: Done\n'
        '  - Type: Succeed\n'
        '    Name: Done\n'
    )


def pass_definition(name):
    """New-style FDL: Pass -> Succeed, finishes immediately."""
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        'StartAt: Step1\n'
        'States:\n'
        '  - Type: Pass\n'
        '    Name: Step1\n'
        '    Next: Done\n'
        '  - Type: Succeed\n'
        '    Name: Done\n'
    )


def bad_definition(name):
    """Invalid: StartAt names a state that does not exist (fdl.md A1: StartAt must reference a state)."""
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        'StartAt: NoSuchState\n'
        'States:\n'
        '  - Type: Pass\n'
        '    Name: Step1\n'
        '    End: true\n'
    )


CALLBACK_STATE = 'Approve'
CALLBACK_OUTPUT = '{"approved": true}'
# The execution output is the task's output re-serialized by the server (compact JSON).
CALLBACK_OUTPUT_COMPACT = '{"approved":true}'
MOCK_RESPONSE = 'WaitForHuman'
MOCK_TEST_CASE = 'Manual'


def callback_definition(name):
    """New-style FDL: one WaitForCustomCallback Task that hands its token to the stand-in (README "What a Task does here")."""
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        f'StartAt: {CALLBACK_STATE}\n'
        'States:\n'
        '  - Type: Task\n'
        f'    Name: {CALLBACK_STATE}\n'
        '    Action: FC:InvokeFunction\n'
        '    TaskMode: WaitForCustomCallback\n'
        '    Parameters:\n'
        '      token.$: $Context.Current.TaskToken\n'
        '    End: true\n'
    )


def callback_mocks(flows):
    """README "Mocks": each flow's DefaultTestCase makes the Task wait for a real ReportTask* call."""
    return {
        'StateMachines': {
            f: {'DefaultTestCase': MOCK_TEST_CASE, 'TestCases': {MOCK_TEST_CASE: {CALLBACK_STATE: MOCK_RESPONSE}}}
            for f in flows
        },
        'MockedResponses': {MOCK_RESPONSE: {'0-99': {'WaitForCallback': True}}},
    }


def emulator_http(method, path, body=None):
    """Plain (unsigned) HTTP to the emulator-only endpoints; returns (status, text)."""
    data = None
    headers = {}
    if body is not None:
        data = body.encode('utf-8') if isinstance(body, str) else json.dumps(body).encode('utf-8')
        headers['Content-Type'] = 'application/json'
    req = urllib.request.Request(f'http://{ENDPOINT}{path}', data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode('utf-8', 'replace')
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode('utf-8', 'replace')


def one_line(s, limit=1500):
    s = str(s).replace('\r', '\\r').replace('\n', '\\n')
    return s if len(s) <= limit else s[:limit] + '...(truncated)'


class Prereq(Exception):
    """Raised when a check cannot run because an earlier step produced nothing."""


def need(**values):
    missing = [k for k, v in values.items() if v is None]
    if missing:
        raise Prereq('prerequisite missing (earlier step failed): ' + ', '.join(missing))


class Reporter:
    def __init__(self, describe_exception=None):
        self.passed = 0
        self.failed = 0
        self.describe_exception = describe_exception or (lambda e: repr(e))

    def check(self, name):
        return Check(self, name)

    def finish(self):
        print(f'{self.passed} passed, {self.failed} failed', flush=True)
        return 1 if self.failed else 0


class Check:
    def __init__(self, reporter, name):
        self.r = reporter
        self.name = name
        self.errors = []

    def __enter__(self):
        return self

    # --- assertion helpers (collect, do not raise) ---
    def fail(self, msg):
        self.errors.append(msg)

    def true(self, cond, msg):
        if not cond:
            self.fail(msg)
        return bool(cond)

    def eq(self, actual, expected, what):
        if actual != expected:
            self.fail(f'{what}: expected {expected!r}, got {actual!r}')
            return False
        return True

    def time(self, value, what):
        if not isinstance(value, str) or not TIME_RE.match(value):
            self.fail(f'{what}: expected a time like 2019-01-01T01:01:01.001Z, got {value!r}')
            return False
        return True

    def int_(self, value, what):
        if not (isinstance(value, int) and not isinstance(value, bool)):
            self.fail(f'{what}: expected a JSON integer, got {value!r} ({type(value).__name__})')
            return False
        return True

    def absent(self, body, key, what):
        """key must be missing from the raw JSON body (null / empty string tolerated)."""
        if not isinstance(body, dict):
            self.fail(f'{what}: expected a JSON object body, got {body!r}')
            return False
        if body.get(key) not in (None, ''):
            self.fail(f'{what}: expected {key} to be absent, got {body.get(key)!r}')
            return False
        return True

    def json_object_string(self, value, what):
        if not isinstance(value, str):
            self.fail(f'{what}: expected a string holding a JSON object, got {value!r}')
            return None
        try:
            obj = json.loads(value)
        except ValueError as e:
            self.fail(f'{what}: not valid JSON ({e}): {value!r}')
            return None
        if not isinstance(obj, dict):
            self.fail(f'{what}: expected a JSON object, got {value!r}')
            return None
        return obj

    def __exit__(self, et, ev, tb):
        if et is not None:
            if et is KeyboardInterrupt:
                return False
            if isinstance(ev, Prereq):
                self.errors.append(str(ev))
            elif isinstance(ev, AssertionError):
                self.errors.append(str(ev) or 'assertion failed')
            else:
                where = ''
                frames = traceback.extract_tb(tb)
                if frames:
                    f = frames[-1]
                    where = f' at {os.path.basename(f.filename)}:{f.lineno}'
                self.errors.append(f'unexpected exception{where}: {self.r.describe_exception(ev)}')
        if self.errors:
            self.r.failed += 1
            print(f'not ok - {self.name}: ' + one_line(' | '.join(self.errors)), flush=True)
        else:
            self.r.passed += 1
            print(f'ok - {self.name}', flush=True)
        return True


def expect_error(c, call, extract, code, status, what):
    """Run call(); it must raise an API error with the given code and HTTP status.

    extract(exc) -> dict(code=, status=, message=, raw=) for SDK API errors, or None.
    Returns the extracted dict (or None)."""
    try:
        res = call()
    except Prereq:
        raise
    except Exception as e:  # noqa: BLE001 - we classify below
        info = extract(e)
        if info is None:
            c.fail(f'{what}: expected API error {code} (HTTP {status}), got exception {one_line(repr(e), 400)}')
            return None
        if info['code'] != code:
            c.fail(f'{what}: expected Code {code!r}, got {info["code"]!r} (HTTP {info["status"]!r}, body {info["raw"]!r})')
        if info['status'] != status:
            c.fail(f'{what}: expected HTTP status {status}, got {info["status"]!r} (Code {info["code"]!r}, body {info["raw"]!r})')
        return info
    c.fail(f'{what}: expected API error {code} (HTTP {status}) but the call succeeded: {one_line(repr(res), 600)}')
    return None


def check_history(c, events, last_type, stop_detail=None):
    """Shared GetExecutionHistory assertions over a list of event dicts (raw JSON keys)."""
    if not c.true(isinstance(events, list) and len(events) > 0, f'Events: expected a non-empty list, got {events!r}'):
        return
    for i, ev in enumerate(events):
        c.int_(ev.get('EventId'), f'Events[{i}].EventId')
        c.int_(ev.get('ScheduleEventId'), f'Events[{i}].ScheduleEventId')
        if 'Time' in ev and ev.get('Time') is not None:
            c.time(ev.get('Time'), f'Events[{i}].Time')
        if ev.get('EventDetail') is not None and not isinstance(ev.get('EventDetail'), str):
            c.fail(f'Events[{i}].EventDetail: expected a string, got {ev.get("EventDetail")!r}')
    ids = [ev.get('EventId') for ev in events]
    if all(isinstance(i, int) for i in ids):
        c.true(all(a < b for a, b in zip(ids, ids[1:])), f'events not ordered by strictly increasing EventId: {ids}')
    c.eq(events[0].get('Type'), 'ExecutionStarted', 'first event Type')
    last = events[-1]
    c.eq(last.get('Type'), last_type, 'last event Type')
    if stop_detail is not None and last.get('Type') == last_type:
        detail = c.json_object_string(last.get('EventDetail'), f'{last_type}.EventDetail')
        if detail is not None:
            for k, v in stop_detail.items():
                c.eq(detail.get(k), v, f'{last_type}.EventDetail.{k}')


def run_main(main):
    try:
        code = main()
    except Exception:  # pragma: no cover - a crash of the suite itself
        traceback.print_exc()
        sys.exit(2)
    sys.exit(code)


# ---------------------------------------------------------------- shared scenarios
# `api` below is a per-suite adapter whose methods return raw-key dicts (the JSON body as sent):
#   create_flow(name, definition, description), start_execution(flow, name, input_),
#   describe_execution(flow, name), stop_execution(flow, name, error, cause),
#   history(flow, name) -> list of events (all pages), report_succeeded(token, output),
#   report_failed(token, error, cause)   (None = parameter not sent)

def wait_until_done(api, flow, name, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        b = api.describe_execution(flow, name)
        if b.get('Status') not in ('Starting', 'Running') or time.time() > deadline:
            return b
        time.sleep(0.05)


def wait_for_task_token(c, api, flow, name, timeout=5.0):
    """Poll GetExecutionHistory until TaskScheduled (with a TaskToken) and TaskSubmitted are recorded.

    Returns (token, TaskScheduled detail, events) or raises AssertionError."""
    deadline = time.time() + timeout
    events = []
    while True:
        events = api.history(flow, name)
        types = [e.get('Type') for e in events]
        sched = [e for e in events if e.get('Type') == 'TaskScheduled']
        if sched and 'TaskSubmitted' in types:
            break
        if time.time() > deadline:
            raise AssertionError(f'no TaskScheduled + TaskSubmitted within {timeout} s; events: '
                                 + one_line(json.dumps(events), 800))
        time.sleep(0.05)
    detail = c.json_object_string(sched[-1].get('EventDetail'), 'TaskScheduled.EventDetail')
    if detail is None:
        raise AssertionError('TaskScheduled.EventDetail unreadable')
    token = detail.get('TaskToken')
    if not (isinstance(token, str) and token):
        raise AssertionError(f'TaskScheduled.EventDetail.TaskToken: expected a non-empty string, got {detail!r}')
    return token, detail, events


def callback_checks(R, api, extract, sfx, suite, sdk_sends_without_output=True):
    """Part of issue "the official Python SDK reporting a callback": WaitForCustomCallback + ReportTask*."""
    flow = f'sdk_{suite}_cb_{sfx}'
    desc = f'SDK callback flow ({suite})'
    st = {}

    with R.check('PUT /_emulator/mocks (JSON): DefaultTestCase with WaitForCallback for this suite\'s flow') as c:
        status, text = emulator_http('PUT', '/_emulator/mocks', callback_mocks([flow]))
        c.eq(status, 200, f'HTTP status (body {one_line(text, 400)})')
        if status == 200:
            try:
                cfg = json.loads(text)
            except ValueError:
                cfg = None
            c.true(isinstance(cfg, dict) and flow in (cfg.get('StateMachines') or {}),
                   f'answer should be the new configuration naming {flow}: {one_line(text, 400)}')
            st['mocks'] = True

    with R.check('CreateFlow with a WaitForCustomCallback Task (Parameters token.$: $Context.Current.TaskToken)') as c:
        need(mocks=st.get('mocks'))
        b = api.create_flow(flow, callback_definition(flow), desc)
        c.eq(b.get('Name'), flow, 'Name')
        st['flow'] = flow

    def start_and_token(c, name):
        b = api.start_execution(flow, name, INPUT)
        c.true(b.get('Status') in ('Running', 'Starting'), f'StartExecution {name}: Status {b.get("Status")!r}')
        return wait_for_task_token(c, api, flow, name)

    e1 = f'cb_ok_{sfx}'
    with R.check('callback: TaskScheduled (EventDetail.TaskToken) and TaskSubmitted appear; execution keeps Running') as c:
        need(flow=st.get('flow'))
        token, detail, _ = start_and_token(c, e1)
        st['tok1'] = token
        c.eq(detail.get('TaskMode'), 'WaitForCustomCallback', 'TaskScheduled.EventDetail.TaskMode')
        params = detail.get('Parameters')
        if isinstance(params, str):  # tolerate Parameters carried as JSON text
            try:
                params = json.loads(params)
            except ValueError:
                pass
        c.true(isinstance(params, dict) and params.get('token') == token,
               f'TaskScheduled.EventDetail.Parameters.token should equal the TaskToken {token!r}, got {params!r}')
        b = api.describe_execution(flow, e1)
        c.eq(b.get('Status'), 'Running', 'Status while waiting for the report')

    with R.check('ReportTaskSucceeded (TaskToken, Output) -> 200 with an integer EventId') as c:
        need(token=st.get('tok1'))
        b = api.report_succeeded(st['tok1'], CALLBACK_OUTPUT)
        c.int_(b.get('EventId'), 'EventId')
        if isinstance(b.get('EventId'), int):
            c.true(b['EventId'] > 0, f'EventId should be positive, got {b["EventId"]}')
        c.true(b.get('RequestId'), f'RequestId missing in {b!r}')
        st['rep1'] = b.get('EventId')

    with R.check('reported execution reaches Succeeded with Output {"approved":true}') as c:
        need(report=st.get('rep1'))
        b = wait_until_done(api, flow, e1)
        c.eq(b.get('Status'), 'Succeeded', 'Status')
        c.eq(b.get('Output'), CALLBACK_OUTPUT_COMPACT, 'Output')
        c.time(b.get('StoppedTime'), 'StoppedTime')
        if b.get('Status') == 'Succeeded':
            events = api.history(flow, e1)
            check_history(c, events, 'ExecutionSucceeded')
            types = [e.get('Type') for e in events]
            c.true('TaskSucceeded' in types, f'no TaskSucceeded event: {types}')
            if isinstance(st['rep1'], int):
                ids = [e.get('EventId') for e in events]
                c.true(st['rep1'] in ids, f'reported EventId {st["rep1"]} is not an event of the history {ids}')
            st['done1'] = True

    with R.check('ReportTaskSucceeded again -> TaskAlreadyCompleted 400') as c:
        need(done=st.get('done1'))
        info = expect_error(c, lambda: api.report_succeeded(st['tok1'], CALLBACK_OUTPUT), extract,
                            'TaskAlreadyCompleted', 400, 'ReportTaskSucceeded')
        if info:
            c.eq(info['message'], f'Task {st["tok1"]} has already completed.', 'Message')
    with R.check('ReportTaskFailed on the completed task -> TaskAlreadyCompleted 400') as c:
        need(done=st.get('done1'))
        expect_error(c, lambda: api.report_failed(st['tok1'], 'Rejected', 'no'), extract,
                     'TaskAlreadyCompleted', 400, 'ReportTaskFailed')

    e2 = f'cb_no_{sfx}'
    with R.check('ReportTaskFailed (Error Rejected, Cause no) -> 200 with an integer EventId') as c:
        need(flow=st.get('flow'))
        token, _, _ = start_and_token(c, e2)
        b = api.report_failed(token, 'Rejected', 'no')
        c.int_(b.get('EventId'), 'EventId')
        c.true(b.get('RequestId'), f'RequestId missing in {b!r}')
        st['rep2'] = True
    with R.check('rejected execution ends Failed; last event ExecutionFailed with Error Rejected') as c:
        need(report=st.get('rep2'))
        b = wait_until_done(api, flow, e2)
        c.eq(b.get('Status'), 'Failed', 'Status')
        c.absent(b, 'Output', 'DescribeExecution body of a failed execution')
        c.time(b.get('StoppedTime'), 'StoppedTime')
        events = api.history(flow, e2)
        check_history(c, events, 'ExecutionFailed', {'Error': 'Rejected', 'Cause': 'no'})
        if c.errors:
            c.fail('events=' + one_line(json.dumps(events), 800))

    e3 = f'cb_stop_{sfx}'
    with R.check('ReportTaskSucceeded after StopExecution -> TaskInvalidState 409') as c:
        need(flow=st.get('flow'))
        token, _, _ = start_and_token(c, e3)
        st['tok3'] = token
        b = api.stop_execution(flow, e3, STOP_ERROR, STOP_CAUSE)
        c.eq(b.get('Status'), 'Stopped', 'StopExecution Status')
        info = expect_error(c, lambda: api.report_succeeded(token, CALLBACK_OUTPUT), extract,
                            'TaskInvalidState', 409, 'ReportTaskSucceeded')
        if info:
            c.eq(info['message'], 'Task is in an invalid state, please retry.', 'Message')
    with R.check('ReportTaskFailed after StopExecution -> TaskInvalidState 409') as c:
        need(token=st.get('tok3'))
        expect_error(c, lambda: api.report_failed(st['tok3'], 'Rejected', 'no'), extract,
                     'TaskInvalidState', 409, 'ReportTaskFailed')

    with R.check('ReportTaskSucceeded with an invalid TaskToken -> InvalidArgument 400') as c:
        expect_error(c, lambda: api.report_succeeded(f'bogus-{sfx}', CALLBACK_OUTPUT), extract,
                     'InvalidArgument', 400, 'ReportTaskSucceeded')
    with R.check('ReportTaskFailed with an invalid TaskToken -> InvalidArgument 400') as c:
        expect_error(c, lambda: api.report_failed(f'bogus-{sfx}', 'Rejected', 'no'), extract,
                     'InvalidArgument', 400, 'ReportTaskFailed')
    if sdk_sends_without_output:
        with R.check('ReportTaskSucceeded without Output -> MissingRequiredParams 400') as c:
            need(token=st.get('tok3'))
            expect_error(c, lambda: api.report_succeeded(st['tok3'], None), extract,
                         'MissingRequiredParams', 400, 'ReportTaskSucceeded')
        with R.check('ReportTaskSucceeded without TaskToken -> MissingRequiredParams 400') as c:
            expect_error(c, lambda: api.report_succeeded(None, CALLBACK_OUTPUT), extract,
                         'MissingRequiredParams', 400, 'ReportTaskSucceeded')
        with R.check('ReportTaskFailed without Error -> MissingRequiredParams 400') as c:
            need(token=st.get('tok3'))
            expect_error(c, lambda: api.report_failed(st['tok3'], None, 'no'), extract,
                         'MissingRequiredParams', 400, 'ReportTaskFailed')
