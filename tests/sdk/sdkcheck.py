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


def callback_checks(R, api, extract, sfx, suite, missing_checks=True):
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
    if missing_checks:
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


# ---------------------------------------------------------------- UpdateFlow, DeleteFlow, ListFlows, ListExecutions,
# StartSyncExecution, DescribeRegions (README "Behaviour where the reference is silent")
# Extra adapter methods (raw-key dicts back; None = parameter not sent):
#   create_flow(name, definition, description, type_='FDL', execution_mode=None), describe_flow(name),
#   update_flow(name, definition=None, description=None, role_arn=None), delete_flow(name),
#   get_execution_history(flow, name), list_flows(limit=None, next_token=None),
#   list_executions(flow, limit=None, next_token=None, status=None, prefix=None, begin=None, end=None,
#                   metadata_only=None)
#   start_sync_execution(flow, name=None, input_=None)   (only when sync=True)
#   describe_regions(accept_language=None)               (only when regions=True)

UUID_RE = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', re.I)
ROLE_ARN = 'acs:ram::1234567890123456:role/sdk-conformance'
REGIONS = {'cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-qingdao', 'cn-shenzhen', 'ap-southeast-1', 'us-west-1'}
EXEC_STATUSES = ('Starting', 'Running', 'Stopped', 'Succeeded', 'Failed', 'TimedOut')


def express_definition(name):
    """New-style FDL for an Express flow: Pass whose output is {"got": $Input.key}."""
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        'StartAt: Step1\n'
        'States:\n'
        '  - Type: Pass\n'
        '    Name: Step1\n'
        '    OutputConstructor:\n'
        '      got.$: $Input.key\n'
        '    End: true\n'
    )


def fail_definition(name):
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        'StartAt: Boom\n'
        'States:\n'
        '  - Type: Fail\n'
        '    Name: Boom\n'
        '    Code: Bad\n'
        '    Detail: nope\n'
    )


def check_flow_item(c, f, what):
    """Field types of one flow object (CreateFlow/DescribeFlow/UpdateFlow/ListFlows item)."""
    for k in ('Name', 'Definition', 'Type', 'Id'):
        c.true(isinstance(f.get(k), str) and f.get(k), f'{what}.{k}: expected a non-empty string, got {f.get(k)!r}')
    if f.get('Description') is not None:
        c.true(isinstance(f.get('Description'), str), f'{what}.Description: expected a string, got {f.get("Description")!r}')
    c.time(f.get('CreatedTime'), f'{what}.CreatedTime')
    c.time(f.get('LastModifiedTime'), f'{what}.LastModifiedTime')
    c.true(f.get('ExecutionMode') in ('Standard', 'Express', '', None),
           f'{what}.ExecutionMode: expected Standard/Express, got {f.get("ExecutionMode")!r}')


def check_exec_item(c, e, what, metadata_only=False):
    """Field types of one ListExecutions item."""
    c.true(isinstance(e.get('Name'), str) and e.get('Name'), f'{what}.Name: expected a non-empty string, got {e.get("Name")!r}')
    c.true(isinstance(e.get('FlowName'), str) and e.get('FlowName'), f'{what}.FlowName: expected a string, got {e.get("FlowName")!r}')
    c.true(e.get('Status') in EXEC_STATUSES, f'{what}.Status: got {e.get("Status")!r}')
    c.time(e.get('StartedTime'), f'{what}.StartedTime')
    if e.get('Status') in ('Starting', 'Running'):
        c.absent(e, 'StoppedTime', what)
    else:
        c.time(e.get('StoppedTime'), f'{what}.StoppedTime')
    if metadata_only:
        for k in ('FlowDefinition', 'Input', 'Output'):
            c.absent(e, k, f'{what} (MetadataOnly)')
    else:
        c.true(isinstance(e.get('FlowDefinition'), str) and e.get('FlowDefinition'),
               f'{what}.FlowDefinition: expected a non-empty string, got {e.get("FlowDefinition")!r}')
        c.json_object_string(e.get('Input'), f'{what}.Input')
        if e.get('Status') == 'Succeeded':
            c.json_object_string(e.get('Output'), f'{what}.Output')
        else:
            c.absent(e, 'Output', f'{what} (not Succeeded)')


def page_all(c, fetch, key, limit, max_pages=500, name_key='Name', token_is_name=True):
    """Call fetch(next_token) until NextToken is absent. Checks page sizes and (token_is_name) that
    NextToken is the name (item[name_key]) of the first item of the next page. Returns (items, pages)
    or (None, pages) on a loop."""
    items, token, pages, expected_first = [], None, [], None
    for _ in range(max_pages):
        b = fetch(token)
        page = b.get(key)
        if not isinstance(page, list):
            c.fail(f'{key}: expected a list, got {page!r} (page {len(pages) + 1})')
            return None, pages
        pages.append([x.get(name_key) for x in page])
        if limit is not None and len(page) > limit:
            c.fail(f'page {len(pages)} has {len(page)} items, more than Limit {limit}')
        if expected_first is not None and token_is_name:
            c.eq(page[0].get(name_key) if page else None, expected_first,
                 f'first item of page {len(pages)} (the previous NextToken)')
        items.extend(page)
        token = b.get('NextToken')
        if token in (None, ''):
            return items, pages
        c.true(isinstance(token, str), f'NextToken: expected a string, got {token!r}')
        if limit is not None:
            c.eq(len(page), limit, f'size of page {len(pages)} (not the last page)')
        expected_first = token
    c.fail(f'NextToken still present after {max_pages} pages')
    return None, pages


def more_actions_checks(R, api, extract, sfx, suite, sync=True, regions=False, missing_checks=True):
    st = {}
    pre = f'sdk_{suite}'

    # ---------------- UpdateFlow
    uflow = f'{pre}_upd_{sfx}'
    udef = hold_definition(uflow)
    with R.check('UpdateFlow: setup (CreateFlow with RoleArn + a running execution)') as c:
        b = api.create_flow(uflow, udef, 'first')
        st['u_created'] = b
        b = api.start_execution(uflow, 'old', INPUT)
        c.true(b.get('Status') in ('Running', 'Starting'), f'StartExecution: Status {b.get("Status")!r}')
        st['uflow'] = uflow
    with R.check('UpdateFlow with only Description: other fields unchanged') as c:
        need(flow=st.get('uflow'))
        created = st['u_created']
        b = api.update_flow(uflow, description='second')
        c.eq(b.get('Name'), uflow, 'Name')
        c.eq(b.get('Description'), 'second', 'Description')
        c.eq(b.get('Definition'), udef, 'Definition')
        c.eq(b.get('Type'), 'FDL', 'Type')
        c.eq(b.get('Id'), created.get('Id'), 'Id (same as CreateFlow)')
        c.eq(b.get('CreatedTime'), created.get('CreatedTime'), 'CreatedTime (same as CreateFlow)')
        c.time(b.get('LastModifiedTime'), 'LastModifiedTime')
        if isinstance(b.get('LastModifiedTime'), str) and isinstance(created.get('LastModifiedTime'), str):
            c.true(b['LastModifiedTime'] >= created['LastModifiedTime'],
                   f'LastModifiedTime went backwards: {created["LastModifiedTime"]} -> {b["LastModifiedTime"]}')
        c.true(b.get('RequestId'), 'RequestId missing')
        c.absent(b, 'RoleArn', 'UpdateFlow body (flow created without RoleArn)')
        d = api.describe_flow(uflow)
        c.eq(d.get('Description'), 'second', 'DescribeFlow.Description')
        c.eq(d.get('Definition'), udef, 'DescribeFlow.Definition')
        c.eq(d.get('LastModifiedTime'), b.get('LastModifiedTime'), 'DescribeFlow.LastModifiedTime (same as UpdateFlow)')
        st['u_desc'] = True
    new_def = pass_definition(uflow)
    with R.check('UpdateFlow with only Definition: Description kept; running execution keeps its snapshot') as c:
        need(updated=st.get('u_desc'))
        b = api.update_flow(uflow, definition=new_def)
        c.eq(b.get('Definition'), new_def, 'Definition')
        c.eq(b.get('Description'), 'second', 'Description (unchanged)')
        d = api.describe_flow(uflow)
        c.eq(d.get('Definition'), new_def, 'DescribeFlow.Definition')
        c.eq(d.get('Description'), 'second', 'DescribeFlow.Description')
        e = api.describe_execution(uflow, 'old')
        c.eq(e.get('FlowDefinition'), udef, 'DescribeExecution(old).FlowDefinition (snapshot at start)')
        c.true(e.get('Status') in ('Running', 'Starting'), f'DescribeExecution(old).Status: {e.get("Status")!r}')
        st['u_def'] = True
    with R.check('UpdateFlow RoleArn set, then empty RoleArn removes it') as c:
        need(updated=st.get('u_def'))
        b = api.update_flow(uflow, role_arn=ROLE_ARN)
        c.eq(b.get('RoleArn'), ROLE_ARN, 'UpdateFlow.RoleArn')
        c.eq(api.describe_flow(uflow).get('RoleArn'), ROLE_ARN, 'DescribeFlow.RoleArn')
        c.eq(b.get('Description'), 'second', 'Description (unchanged)')
        b = api.update_flow(uflow, role_arn='')
        c.absent(b, 'RoleArn', 'UpdateFlow body after RoleArn=""')
        c.absent(api.describe_flow(uflow), 'RoleArn', 'DescribeFlow body after RoleArn=""')
    with R.check('UpdateFlow with an invalid Definition -> InvalidArgument 400, nothing changed') as c:
        need(updated=st.get('u_def'))
        expect_error(c, lambda: api.update_flow(uflow, definition=bad_definition(uflow), description='third'),
                     extract, 'InvalidArgument', 400, 'UpdateFlow')
        d = api.describe_flow(uflow)
        c.eq(d.get('Definition'), new_def, 'DescribeFlow.Definition')
        c.eq(d.get('Description'), 'second', 'DescribeFlow.Description')
    with R.check('UpdateFlow of an unknown flow -> FlowNotExists 404') as c:
        expect_error(c, lambda: api.update_flow(f'nosuch_flow_{sfx}', description='x'), extract,
                     'FlowNotExists', 404, 'UpdateFlow')
    if missing_checks:
        with R.check('UpdateFlow without Name -> MissingRequiredParams 400') as c:
            expect_error(c, lambda: api.update_flow(None, description='x'), extract,
                         'MissingRequiredParams', 400, 'UpdateFlow')

    # ---------------- DeleteFlow
    dflow = f'{pre}_del_{sfx}'
    with R.check('DeleteFlow of a flow with a running execution -> 200') as c:
        api.create_flow(dflow, hold_definition(dflow), 'to delete')
        b = api.start_execution(dflow, 'e1', INPUT)
        c.true(b.get('Status') in ('Running', 'Starting'), f'StartExecution: Status {b.get("Status")!r}')
        b = api.delete_flow(dflow)
        c.true(b.get('RequestId'), f'RequestId missing in {b!r}')
        st['deleted'] = True
    with R.check('deleted flow: DescribeFlow, DescribeExecution, ListExecutions -> FlowNotExists 404') as c:
        need(deleted=st.get('deleted'))
        expect_error(c, lambda: api.describe_flow(dflow), extract, 'FlowNotExists', 404, 'DescribeFlow')
        expect_error(c, lambda: api.describe_execution(dflow, 'e1'), extract, 'FlowNotExists', 404, 'DescribeExecution')
        expect_error(c, lambda: api.list_executions(dflow), extract, 'FlowNotExists', 404, 'ListExecutions')
        expect_error(c, lambda: api.start_execution(dflow, 'e2', INPUT), extract, 'FlowNotExists', 404, 'StartExecution')
        expect_error(c, lambda: api.delete_flow(dflow), extract, 'FlowNotExists', 404, 'DeleteFlow (again)')
    with R.check('flow re-created with the same name: old executions are gone') as c:
        need(deleted=st.get('deleted'))
        api.create_flow(dflow, hold_definition(dflow), 'recreated')
        expect_error(c, lambda: api.describe_execution(dflow, 'e1'), extract,
                     'ExecutionNotExists', 404, 'DescribeExecution')
        expect_error(c, lambda: api.get_execution_history(dflow, 'e1'), extract,
                     'ExecutionNotExists', 404, 'GetExecutionHistory')
        b = api.list_executions(dflow)
        c.eq(b.get('Executions') or [], [], 'ListExecutions.Executions')
        c.absent(b, 'NextToken', 'ListExecutions body')
        b = api.start_execution(dflow, 'e1', INPUT)
        c.eq(b.get('Name'), 'e1', 'StartExecution reusing the old name: Name')
        c.true(b.get('Status') in ('Running', 'Starting'), f'StartExecution reusing the old name: Status {b.get("Status")!r}')
        api.stop_execution(dflow, 'e1', STOP_ERROR, STOP_CAUSE)
        api.delete_flow(dflow)
    with R.check('DeleteFlow of an unknown flow -> FlowNotExists 404') as c:
        expect_error(c, lambda: api.delete_flow(f'nosuch_flow_{sfx}'), extract, 'FlowNotExists', 404, 'DeleteFlow')
    if missing_checks:
        with R.check('DeleteFlow without Name -> MissingRequiredParams 400') as c:
            expect_error(c, lambda: api.delete_flow(None), extract, 'MissingRequiredParams', 400, 'DeleteFlow')

    # ---------------- ListFlows
    lflows = [f'{pre}_lst_{sfx}_{x}' for x in ('c', 'a', 'b')]
    xflow = f'{pre}_exp_{sfx}'
    with R.check('ListFlows: setup (3 Standard flows + 1 Express flow)') as c:
        for n in lflows:
            api.create_flow(n, pass_definition(n), 'listed')
        b = api.create_flow(xflow, express_definition(xflow), 'express', execution_mode='Express')
        c.eq(b.get('ExecutionMode'), 'Express', 'CreateFlow.ExecutionMode')
        c.eq(api.describe_flow(xflow).get('ExecutionMode'), 'Express', 'DescribeFlow.ExecutionMode')
        st['lflows'] = True
    with R.check('ListFlows paged with Limit 2 until NextToken is absent: sorted by name, complete') as c:
        need(flows=st.get('lflows'))
        items, pages = page_all(c, lambda t: api.list_flows(limit=2, next_token=t), 'Flows', 2)
        if items is not None:
            names = [f.get('Name') for f in items]
            c.eq(names, sorted(names), 'names in name order')
            c.eq(len(names), len(set(names)), f'number of distinct names (duplicates in {names})')
            for n in lflows + [xflow, uflow]:
                c.true(n in names, f'{n} missing from ListFlows')
            c.true(dflow not in names, f'deleted flow {dflow} still listed')
            for f in items:
                if f.get('Name') in lflows + [xflow]:
                    check_flow_item(c, f, f'Flows[{f.get("Name")}]')
                if f.get('Name') == xflow:
                    c.eq(f.get('ExecutionMode'), 'Express', f'Flows[{xflow}].ExecutionMode')
                if f.get('Name') == lflows[1]:
                    c.eq(f.get('Definition'), pass_definition(lflows[1]), f'Flows[{lflows[1]}].Definition')
                    c.eq(f.get('Description'), 'listed', f'Flows[{lflows[1]}].Description')
                    c.eq(f.get('Type'), 'FDL', f'Flows[{lflows[1]}].Type')
            st['all_flows'] = names
    with R.check('ListFlows Limit 1000 answers everything in one page without NextToken') as c:
        need(listing=st.get('all_flows'))
        b = api.list_flows(limit=1000)
        c.eq([f.get('Name') for f in b.get('Flows') or []], st['all_flows'], 'Flows (same as the paged listing)')
        c.absent(b, 'NextToken', 'ListFlows body')
        c.true(b.get('RequestId'), 'RequestId missing')
    with R.check('ListFlows without Limit answers 60 flows (default) and a NextToken') as c:
        need(listing=st.get('all_flows'))
        pads = []
        try:
            for i in range(max(0, 61 - len(st['all_flows']))):
                n = f'{pre}_pad_{sfx}_{i:02d}'
                api.create_flow(n, pass_definition(n), 'padding')
                pads.append(n)
            b = api.list_flows()
            c.eq(len(b.get('Flows') or []), 60, 'number of Flows')
            c.true(isinstance(b.get('NextToken'), str) and b.get('NextToken'),
                   f'NextToken: expected a flow name, got {b.get("NextToken")!r}')
        finally:
            for n in pads:
                api.delete_flow(n)
    for lim in (0, 1001, -1):
        with R.check(f'ListFlows Limit {lim} -> InvalidArgument 400') as c:
            expect_error(c, lambda: api.list_flows(limit=lim), extract, 'InvalidArgument', 400, 'ListFlows')

    # ---------------- ListExecutions
    eflow = f'{pre}_lx_{sfx}'
    order = ['run0', 'run1', 'run2', 'run3', 'run4', 'other']
    newest_first = list(reversed(order))
    starts = {}
    with R.check('ListExecutions: setup (6 executions, one stopped)') as c:
        api.create_flow(eflow, hold_definition(eflow), 'list executions')
        for n in order:
            b = api.start_execution(eflow, n, INPUT)
            starts[n] = b.get('StartedTime')
            time.sleep(0.01)  # distinct millisecond StartedTimes
        c.eq(api.stop_execution(eflow, 'run1', STOP_ERROR, STOP_CAUSE).get('Status'), 'Stopped', 'run1 Status')
        c.eq(len(set(starts.values())), len(order), f'distinct StartedTimes {starts}')
        st['lx'] = True

    def names_of(b):
        return [e.get('Name') for e in (b.get('Executions') or [])]

    with R.check('ListExecutions: newest first, all fields, no NextToken') as c:
        need(setup=st.get('lx'))
        b = api.list_executions(eflow)
        c.eq(names_of(b), newest_first, 'names')
        c.absent(b, 'NextToken', 'ListExecutions body')
        c.true(b.get('RequestId'), 'RequestId missing')
        for e in b.get('Executions') or []:
            check_exec_item(c, e, f'Executions[{e.get("Name")}]')
            c.eq(e.get('FlowName'), eflow, f'Executions[{e.get("Name")}].FlowName')
            if e.get('Name') in starts:
                c.eq(e.get('StartedTime'), starts[e.get('Name')], f'Executions[{e.get("Name")}].StartedTime')
            c.eq(e.get('Status'), 'Stopped' if e.get('Name') == 'run1' else 'Running', f'Executions[{e.get("Name")}].Status')
            c.eq(e.get('Input'), INPUT, f'Executions[{e.get("Name")}].Input')
            c.eq(e.get('FlowDefinition'), hold_definition(eflow), f'Executions[{e.get("Name")}].FlowDefinition')
    with R.check('ListExecutions paged with Limit 2 until NextToken is absent') as c:
        need(setup=st.get('lx'))
        items, pages = page_all(c, lambda t: api.list_executions(eflow, limit=2, next_token=t), 'Executions', 2)
        c.eq(pages, [newest_first[0:2], newest_first[2:4], newest_first[4:6]], 'pages')
    with R.check('ListExecutions Status filter (Stopped, Running)') as c:
        need(setup=st.get('lx'))
        c.eq(names_of(api.list_executions(eflow, status='Stopped')), ['run1'], 'Status=Stopped')
        c.eq(names_of(api.list_executions(eflow, status='Running')), [n for n in newest_first if n != 'run1'],
             'Status=Running')
        c.eq(names_of(api.list_executions(eflow, status='Succeeded')), [], 'Status=Succeeded')
    with R.check('ListExecutions ExecutionNamePrefix filter, paged with Limit 2') as c:
        need(setup=st.get('lx'))
        runs = [n for n in newest_first if n.startswith('run')]
        c.eq(names_of(api.list_executions(eflow, prefix='run')), runs, 'ExecutionNamePrefix=run')
        items, pages = page_all(c, lambda t: api.list_executions(eflow, prefix='run', limit=2, next_token=t),
                                'Executions', 2)
        c.eq(pages, [runs[0:2], runs[2:4], runs[4:5]], 'pages')
        c.eq(names_of(api.list_executions(eflow, prefix='run', status='Running')),
             [n for n in runs if n != 'run1'], 'ExecutionNamePrefix=run + Status=Running')
        c.eq(names_of(api.list_executions(eflow, prefix='zzz')), [], 'ExecutionNamePrefix=zzz')
    with R.check('ListExecutions StartedTimeBegin/StartedTimeEnd filters (inclusive)') as c:
        need(setup=st.get('lx'))
        t2 = starts.get('run2')
        need(run2_started=t2)
        c.eq(names_of(api.list_executions(eflow, begin=t2)), ['other', 'run4', 'run3', 'run2'], f'StartedTimeBegin={t2}')
        c.eq(names_of(api.list_executions(eflow, end=t2)), ['run2', 'run1', 'run0'], f'StartedTimeEnd={t2}')
        c.eq(names_of(api.list_executions(eflow, begin=t2, end=t2)), ['run2'], 'StartedTimeBegin=StartedTimeEnd')
        c.eq(names_of(api.list_executions(eflow, begin='2999-01-01T00:00:00.000Z')), [], 'StartedTimeBegin in 2999')
        c.eq(names_of(api.list_executions(eflow, end='2999-01-01T00:00:00.000Z')), newest_first, 'StartedTimeEnd in 2999')
        c.eq(names_of(api.list_executions(eflow, begin=starts.get('run3'), limit=1, status='Running')), ['other'],
             'StartedTimeBegin + Status + Limit 1')
    with R.check('ListExecutions MetadataOnly=true leaves out FlowDefinition, Input, Output') as c:
        need(setup=st.get('lx'))
        b = api.list_executions(eflow, metadata_only=True)
        c.eq(names_of(b), newest_first, 'names')
        for e in b.get('Executions') or []:
            check_exec_item(c, e, f'Executions[{e.get("Name")}]', metadata_only=True)
        b = api.list_executions(eflow, metadata_only=False)
        for e in b.get('Executions') or []:
            c.true(isinstance(e.get('FlowDefinition'), str) and e.get('FlowDefinition'),
                   f'MetadataOnly=false: Executions[{e.get("Name")}].FlowDefinition missing')

    mflow = f'{pre}_many_{sfx}'
    with R.check('ListExecutions default Limit is 60; Limit 100 answers all 61 with Output') as c:
        api.create_flow(mflow, pass_definition(mflow), 'many executions')
        names = [f'm{i:02d}' for i in range(61)]
        for n in names:
            api.start_execution(mflow, n, INPUT)
        for n in (names[0], names[-1]):
            c.eq(wait_until_done(api, mflow, n).get('Status'), 'Succeeded', f'{n} Status')
        b = api.list_executions(mflow)
        got = names_of(b)
        c.eq(len(got), 60, 'number of Executions without Limit')
        c.true(isinstance(b.get('NextToken'), str) and b.get('NextToken'),
               f'NextToken: expected an execution name, got {b.get("NextToken")!r}')
        if b.get('NextToken'):
            b2 = api.list_executions(mflow, next_token=b['NextToken'])
            c.eq(got + names_of(b2), list(reversed(names)), 'both pages')
            c.absent(b2, 'NextToken', 'second page')
        b = api.list_executions(mflow, limit=100)
        c.eq(names_of(b), list(reversed(names)), 'Limit 100')
        c.absent(b, 'NextToken', 'Limit 100 body')
        e = next((x for x in (b.get('Executions') or []) if x.get('Name') == names[0]), None)
        if e is not None:
            check_exec_item(c, e, f'Executions[{names[0]}]')
            c.eq(e.get('Status'), 'Succeeded', f'Executions[{names[0]}].Status')
            c.eq(e.get('Output'), INPUT, f'Executions[{names[0]}].Output')

    for lim in (0, 101):
        with R.check(f'ListExecutions Limit {lim} -> InvalidArgument 400') as c:
            need(setup=st.get('lx'))
            expect_error(c, lambda: api.list_executions(eflow, limit=lim), extract, 'InvalidArgument', 400,
                         'ListExecutions')
    with R.check('ListExecutions with an unknown Status -> InvalidArgument 400') as c:
        need(setup=st.get('lx'))
        expect_error(c, lambda: api.list_executions(eflow, status='Sleeping'), extract, 'InvalidArgument', 400,
                     'ListExecutions')
    with R.check('ListExecutions with a StartedTimeBegin that is not RFC 3339 -> InvalidArgument 400') as c:
        need(setup=st.get('lx'))
        expect_error(c, lambda: api.list_executions(eflow, begin='yesterday'), extract, 'InvalidArgument', 400,
                     'ListExecutions')
    with R.check('ListExecutions of an unknown flow -> FlowNotExists 404') as c:
        expect_error(c, lambda: api.list_executions(f'nosuch_flow_{sfx}'), extract, 'FlowNotExists', 404,
                     'ListExecutions')
    if missing_checks:
        with R.check('ListExecutions without FlowName -> MissingRequiredParams 400') as c:
            expect_error(c, lambda: api.list_executions(None), extract, 'MissingRequiredParams', 400, 'ListExecutions')

    # ---------------- Express flows
    with R.check('StartExecution on an Express flow -> InvalidArgument 400') as c:
        need(flows=st.get('lflows'))
        expect_error(c, lambda: api.start_execution(xflow, 'async1', INPUT), extract, 'InvalidArgument', 400,
                     'StartExecution')

    if sync:
        sync_names = []
        with R.check('StartSyncExecution on an Express flow: Succeeded, Name {ExecutionName}:{UUID}, Output') as c:
            need(flows=st.get('lflows'))
            b = api.start_sync_execution(xflow, 'sync', INPUT)
            c.eq(b.get('Status'), 'Succeeded', 'Status')
            c.eq(b.get('FlowName'), xflow, 'FlowName')
            name = b.get('Name')
            if c.true(isinstance(name, str) and ':' in name, f'Name: expected sync:{{UUID}}, got {name!r}'):
                base, _, uid = name.partition(':')
                c.eq(base, 'sync', 'Name before ":"')
                c.true(UUID_RE.match(uid), f'Name after ":": expected a UUID, got {uid!r}')
                sync_names.append(name)
            c.eq(b.get('Output'), '{"got":"value"}', 'Output')
            c.time(b.get('StartedTime'), 'StartedTime')
            c.time(b.get('StoppedTime'), 'StoppedTime')
            c.absent(b, 'ErrorCode', 'StartSyncExecution body')
            c.absent(b, 'ErrorMessage', 'StartSyncExecution body')
            c.true(b.get('RequestId'), 'RequestId missing')
        with R.check('StartSyncExecution reusing the ExecutionName starts a new execution') as c:
            need(first=sync_names or None)
            b = api.start_sync_execution(xflow, 'sync', INPUT)
            c.eq(b.get('Status'), 'Succeeded', 'Status')
            c.true(isinstance(b.get('Name'), str) and b['Name'].startswith('sync:') and b['Name'] not in sync_names,
                   f'Name: expected a new sync:{{UUID}}, got {b.get("Name")!r} (first was {sync_names})')
            if isinstance(b.get('Name'), str):
                sync_names.append(b['Name'])
        with R.check('StartSyncExecution without ExecutionName: generated name') as c:
            need(flows=st.get('lflows'))
            b = api.start_sync_execution(xflow, None, INPUT)
            c.eq(b.get('Status'), 'Succeeded', 'Status')
            c.true(isinstance(b.get('Name'), str) and b.get('Name'), f'Name: expected a generated name, got {b.get("Name")!r}')
            if isinstance(b.get('Name'), str):
                sync_names.append(b['Name'])
        with R.check('StartSyncExecution executions are listed by ListExecutions') as c:
            need(first=sync_names or None)
            b = api.list_executions(xflow)
            names = names_of(b)
            c.eq(sorted(names), sorted(sync_names), 'names')
            for e in b.get('Executions') or []:
                check_exec_item(c, e, f'Executions[{e.get("Name")}]')
                c.eq(e.get('Status'), 'Succeeded', f'Executions[{e.get("Name")}].Status')
        fflow = f'{pre}_expfail_{sfx}'
        with R.check('StartSyncExecution of a failing Express flow: 200, Status Failed, ErrorCode/ErrorMessage') as c:
            api.create_flow(fflow, fail_definition(fflow), 'express, fails', execution_mode='Express')
            b = api.start_sync_execution(fflow, 'f1', INPUT)
            c.eq(b.get('Status'), 'Failed', 'Status')
            c.eq(b.get('ErrorCode'), 'Bad', 'ErrorCode')
            c.eq(b.get('ErrorMessage'), 'nope', 'ErrorMessage')
            c.absent(b, 'Output', 'StartSyncExecution body')
            c.time(b.get('StoppedTime'), 'StoppedTime')
        with R.check('StartSyncExecution of a Standard flow: Failed, ActionNotSupported (documented example)') as c:
            need(flows=st.get('lflows'))
            b = api.start_sync_execution(lflows[0], 's1', INPUT)
            c.eq(b.get('Status'), 'Failed', 'Status')
            c.eq(b.get('ErrorCode'), 'ActionNotSupported', 'ErrorCode')
            c.eq(b.get('ErrorMessage'), 'Standard execution is not supported', 'ErrorMessage')
        with R.check('StartSyncExecution of an unknown flow -> FlowNotExists 404') as c:
            expect_error(c, lambda: api.start_sync_execution(f'nosuch_flow_{sfx}', 's', INPUT), extract,
                         'FlowNotExists', 404, 'StartSyncExecution')
        with R.check('StartSyncExecution with a non-object Input -> InvalidArgument 400') as c:
            need(flows=st.get('lflows'))
            expect_error(c, lambda: api.start_sync_execution(xflow, 's', '[1]'), extract,
                         'InvalidArgument', 400, 'StartSyncExecution')
        if missing_checks:
            with R.check('StartSyncExecution without FlowName -> MissingRequiredParams 400') as c:
                expect_error(c, lambda: api.start_sync_execution(None, 's', INPUT), extract,
                             'MissingRequiredParams', 400, 'StartSyncExecution')

    # ---------------- DescribeRegions
    if regions:
        with R.check('DescribeRegions lists the seven documented regions with {region}.fnf.aliyuncs.com') as c:
            b = api.describe_regions()
            c.true(b.get('RequestId'), 'RequestId missing')
            rs = (b.get('Regions') or {}).get('Region')
            if c.true(isinstance(rs, list), f'Regions.Region: expected a list, got {b.get("Regions")!r}'):
                ids = [r.get('RegionId') for r in rs]
                c.eq(sorted(ids), sorted(REGIONS), 'RegionIds')
                for r in rs:
                    c.eq(r.get('RegionEndpoint'), f'{r.get("RegionId")}.fnf.aliyuncs.com',
                         f'Region[{r.get("RegionId")}].RegionEndpoint')
                    ln = r.get('LocalName')
                    c.true(isinstance(ln, str) and ln and not ln.isascii(),
                           f'Region[{r.get("RegionId")}].LocalName: expected a Chinese name by default, got {ln!r}')
                st['regions_default'] = {r.get('RegionId'): r.get('LocalName') for r in rs}
        with R.check('DescribeRegions AcceptLanguage zh-CN = default; en-US gives English names') as c:
            zh = api.describe_regions('zh-CN')
            zh_names = {r.get('RegionId'): r.get('LocalName') for r in ((zh.get('Regions') or {}).get('Region') or [])}
            if st.get('regions_default'):
                c.eq(zh_names, st['regions_default'], 'zh-CN LocalNames')
            en = api.describe_regions('en-US')
            rs = (en.get('Regions') or {}).get('Region') or []
            c.eq(sorted(r.get('RegionId') for r in rs), sorted(REGIONS), 'en-US RegionIds')
            for r in rs:
                ln = r.get('LocalName')
                c.true(isinstance(ln, str) and ln and ln.isascii(),
                       f'en-US Region[{r.get("RegionId")}].LocalName: expected an English name, got {ln!r}')
            hz = next((r for r in rs if r.get('RegionId') == 'cn-hangzhou'), {})
            c.true('Hangzhou' in (hz.get('LocalName') or ''), f'en-US cn-hangzhou LocalName: got {hz.get("LocalName")!r}')
        with R.check('DescribeRegions with an unknown AcceptLanguage -> InvalidArgument 400') as c:
            expect_error(c, lambda: api.describe_regions('fr'), extract, 'InvalidArgument', 400, 'DescribeRegions')


# ---------------------------------------------------------------- Schedules (CreateSchedule, DescribeSchedule,
# UpdateSchedule, DeleteSchedule, ListSchedules) and their firing on the emulated clock
# (README "Behaviour where the reference is silent", "Schedules"; api.md 6 "Schedules").
# Adapter methods (raw-key dicts back; None = parameter not sent):
#   create_schedule(flow, name, cron, payload=None, enable=None, description=None),
#   describe_schedule(flow, name), update_schedule(flow, name, cron=None, payload=None, enable=None,
#   description=None), delete_schedule(flow, name), list_schedules(flow, limit=None, next_token=None)
# The Python SDKs send a Python bool Enable as the text True/False (api.md CreateSchedule.Enable).

SCHED_CRON = '0 * * * * *'  # the documented example: second 0 of every minute
SCHED_PAYLOAD = '{"source": "schedule", "n": 1}'
SCHED_ADVANCE = 120  # seconds: crosses two minute boundaries


def parse_time_ms(value):
    """'2019-01-01T01:01:01.001Z' -> milliseconds since the epoch (None when unreadable)."""
    import datetime
    try:
        dt = datetime.datetime.strptime(value, '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None
    return int(round(dt.timestamp() * 1000))


def advance_clock(seconds):
    """POST /_emulator/clock/advance?seconds=N; returns (status, parsed body or text)."""
    status, text = emulator_http('POST', f'/_emulator/clock/advance?seconds={seconds}')
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def check_schedule_item(c, s, what):
    """Field types of one schedule object (Create/Describe/UpdateSchedule answer, ListSchedules item)."""
    if not isinstance(s, dict):
        c.fail(f'{what}: expected an object, got {s!r}')
        return
    for k in ('ScheduleId', 'ScheduleName', 'CronExpression'):
        c.true(isinstance(s.get(k), str) and s.get(k), f'{what}.{k}: expected a non-empty string, got {s.get(k)!r}')
    c.true(isinstance(s.get('Enable'), bool), f'{what}.Enable: expected a JSON boolean, got {s.get("Enable")!r}')
    c.time(s.get('CreatedTime'), f'{what}.CreatedTime')
    c.time(s.get('LastModifiedTime'), f'{what}.LastModifiedTime')
    for k in ('Description', 'Payload'):
        if s.get(k) is not None:
            c.true(isinstance(s.get(k), str), f'{what}.{k}: expected a string, got {s.get(k)!r}')


SCHED_FIELDS = ('ScheduleId', 'ScheduleName', 'CronExpression', 'Description', 'Enable', 'Payload', 'CreatedTime',
                'LastModifiedTime')


def schedule_checks(R, api, extract, sfx, suite, missing_checks=True):
    """Run last in a suite: the firing check moves the shared emulated clock forward."""
    st = {}
    flow = f'sdk_{suite}_sch_{sfx}'
    main, off, extra = 'sch_main', 'sch_off', 'sch_a_extra'
    desc = 'every minute'

    with R.check('Schedules: setup (a Pass flow)') as c:
        b = api.create_flow(flow, pass_definition(flow), 'scheduled')
        c.eq(b.get('Name'), flow, 'CreateFlow.Name')
        st['flow'] = flow

    with R.check('CreateSchedule (CronExpression "0 * * * * *", Payload JSON object, Enable true): answer fields') as c:
        need(flow=st.get('flow'))
        b = api.create_schedule(flow, main, SCHED_CRON, payload=SCHED_PAYLOAD, enable=True, description=desc)
        st['main'] = b
        check_schedule_item(c, b, 'CreateSchedule')
        c.eq(b.get('ScheduleName'), main, 'ScheduleName')
        c.eq(b.get('CronExpression'), SCHED_CRON, 'CronExpression')
        c.eq(b.get('Payload'), SCHED_PAYLOAD, 'Payload')
        c.eq(b.get('Enable'), True, 'Enable')
        c.eq(b.get('Description'), desc, 'Description')
        c.true(b.get('RequestId'), 'RequestId missing')

    with R.check('DescribeSchedule returns the created schedule') as c:
        need(created=st.get('main'))
        b = api.describe_schedule(flow, main)
        check_schedule_item(c, b, 'DescribeSchedule')
        for k in SCHED_FIELDS:
            c.eq(b.get(k), st['main'].get(k), f'{k} (same as CreateSchedule)')
        c.true(b.get('RequestId'), 'RequestId missing')

    with R.check('CreateSchedule without Enable: Enable is false (default), no Payload') as c:
        need(flow=st.get('flow'))
        b = api.create_schedule(flow, off, SCHED_CRON)
        check_schedule_item(c, b, 'CreateSchedule')
        c.eq(b.get('Enable'), False, 'Enable')
        c.absent(b, 'Payload', 'CreateSchedule body')
        d = api.describe_schedule(flow, off)
        c.eq(d.get('Enable'), False, 'DescribeSchedule.Enable')
        st['off'] = b

    with R.check('UpdateSchedule with only Description: omitted fields unchanged') as c:
        need(created=st.get('main'))
        created = st['main']
        b = api.update_schedule(flow, main, description='changed')
        check_schedule_item(c, b, 'UpdateSchedule')
        c.eq(b.get('Description'), 'changed', 'Description')
        for k in ('ScheduleId', 'ScheduleName', 'CronExpression', 'Payload', 'Enable', 'CreatedTime'):
            c.eq(b.get(k), created.get(k), f'{k} (unchanged)')
        if isinstance(b.get('LastModifiedTime'), str) and isinstance(created.get('LastModifiedTime'), str):
            c.true(b['LastModifiedTime'] >= created['LastModifiedTime'],
                   f'LastModifiedTime went backwards: {created["LastModifiedTime"]} -> {b["LastModifiedTime"]}')
        c.true(b.get('RequestId'), 'RequestId missing')
        d = api.describe_schedule(flow, main)
        for k in SCHED_FIELDS:
            c.eq(d.get(k), b.get(k), f'DescribeSchedule.{k} (same as UpdateSchedule)')
        st['updated'] = True

    with R.check('UpdateSchedule Enable false, then Enable true (sent by the SDK as False/True)') as c:
        need(updated=st.get('updated'))
        b = api.update_schedule(flow, main, enable=False)
        c.eq(b.get('Enable'), False, 'UpdateSchedule(Enable=false).Enable')
        c.eq(api.describe_schedule(flow, main).get('Enable'), False, 'DescribeSchedule.Enable after disabling')
        c.eq(b.get('Description'), 'changed', 'Description (unchanged)')
        # Executions already started by a real minute boundary while enabled (normally none).
        st['pre_fired'] = len(api.list_executions(flow, limit=100).get('Executions') or [])
        b = api.update_schedule(flow, main, enable=True)
        c.eq(b.get('Enable'), True, 'UpdateSchedule(Enable=true).Enable')
        c.eq(api.describe_schedule(flow, main).get('Enable'), True, 'DescribeSchedule.Enable after enabling')
        c.eq(b.get('Payload'), SCHED_PAYLOAD, 'Payload (unchanged)')
        c.eq(b.get('CronExpression'), SCHED_CRON, 'CronExpression (unchanged)')
        c.time(b.get('LastModifiedTime'), 'LastModifiedTime')
        st['enabled_at'] = b.get('LastModifiedTime')

    with R.check('UpdateSchedule CronExpression (@every 1m30s) and Payload on the disabled schedule') as c:
        need(off=st.get('off'))
        b = api.update_schedule(flow, off, cron='@every 1m30s', payload='{"k": "v"}')
        c.eq(b.get('CronExpression'), '@every 1m30s', 'CronExpression')
        c.eq(b.get('Payload'), '{"k": "v"}', 'Payload')
        c.eq(b.get('Enable'), False, 'Enable (unchanged)')
        c.eq(b.get('ScheduleId'), st['off'].get('ScheduleId'), 'ScheduleId (unchanged)')
        d = api.describe_schedule(flow, off)
        c.eq(d.get('CronExpression'), '@every 1m30s', 'DescribeSchedule.CronExpression')
        c.eq(d.get('Payload'), '{"k": "v"}', 'DescribeSchedule.Payload')

    with R.check('CreateSchedule with an existing name -> ScheduleAlreadyExists 409') as c:
        need(created=st.get('main'))
        info = expect_error(c, lambda: api.create_schedule(flow, main, SCHED_CRON), extract,
                            'ScheduleAlreadyExists', 409, 'CreateSchedule')
        if info:
            c.eq(info['message'], f'The schedule {main} already exists in flow {flow}.', 'Message')

    for cron in ('* * * * *', 'bogus', '61 * * * * *'):
        with R.check(f'CreateSchedule with CronExpression {cron!r} -> InvalidArgument 400, not created') as c:
            need(flow=st.get('flow'))
            expect_error(c, lambda: api.create_schedule(flow, 'sch_bad', cron, enable=True), extract,
                         'InvalidArgument', 400, 'CreateSchedule')
            expect_error(c, lambda: api.describe_schedule(flow, 'sch_bad'), extract, 'ScheduleNotExists', 404,
                         'DescribeSchedule')
    with R.check('UpdateSchedule with a bad CronExpression -> InvalidArgument 400, nothing changed') as c:
        need(updated=st.get('updated'))
        expect_error(c, lambda: api.update_schedule(flow, main, cron='0 * * *', description='nope'), extract,
                     'InvalidArgument', 400, 'UpdateSchedule')
        d = api.describe_schedule(flow, main)
        c.eq(d.get('CronExpression'), SCHED_CRON, 'DescribeSchedule.CronExpression')
        c.eq(d.get('Description'), 'changed', 'DescribeSchedule.Description')
    for payload in ('[1]', '{not json'):
        with R.check(f'CreateSchedule with Payload {payload!r} (not a JSON object) -> InvalidArgument 400') as c:
            need(flow=st.get('flow'))
            expect_error(c, lambda: api.create_schedule(flow, 'sch_badp', SCHED_CRON, payload=payload), extract,
                         'InvalidArgument', 400, 'CreateSchedule')

    with R.check('DescribeSchedule of an unknown schedule -> ScheduleNotExists 404 with the documented message') as c:
        need(flow=st.get('flow'))
        info = expect_error(c, lambda: api.describe_schedule(flow, f'nosuch_{sfx}'), extract, 'ScheduleNotExists', 404,
                            'DescribeSchedule')
        if info:
            c.eq(info['message'], f'The schedule nosuch_{sfx} for flow {flow} does not exist.', 'Message')
    with R.check('UpdateSchedule / DeleteSchedule of an unknown schedule -> ScheduleNotExists 404') as c:
        need(flow=st.get('flow'))
        expect_error(c, lambda: api.update_schedule(flow, f'nosuch_{sfx}', description='x'), extract,
                     'ScheduleNotExists', 404, 'UpdateSchedule')
        expect_error(c, lambda: api.delete_schedule(flow, f'nosuch_{sfx}'), extract, 'ScheduleNotExists', 404,
                     'DeleteSchedule')
    with R.check('schedule actions on an unknown flow -> FlowNotExists 404') as c:
        nf = f'nosuch_flow_{sfx}'
        expect_error(c, lambda: api.create_schedule(nf, main, SCHED_CRON), extract, 'FlowNotExists', 404,
                     'CreateSchedule')
        expect_error(c, lambda: api.describe_schedule(nf, main), extract, 'FlowNotExists', 404, 'DescribeSchedule')
        expect_error(c, lambda: api.update_schedule(nf, main, description='x'), extract, 'FlowNotExists', 404,
                     'UpdateSchedule')
        expect_error(c, lambda: api.delete_schedule(nf, main), extract, 'FlowNotExists', 404, 'DeleteSchedule')
        expect_error(c, lambda: api.list_schedules(nf), extract, 'FlowNotExists', 404, 'ListSchedules')

    names = sorted([main, off, extra])
    with R.check('ListSchedules paged with Limit 2 until NextToken is absent: by name, all fields') as c:
        need(created=st.get('main'), off=st.get('off'))
        api.create_schedule(flow, extra, SCHED_CRON, enable=False, description='third')
        items, pages = page_all(c, lambda t: api.list_schedules(flow, limit=2, next_token=t), 'Schedules', 2,
                                name_key='ScheduleName')
        c.eq(pages, [names[0:2], names[2:3]], 'pages')
        for s in items or []:
            check_schedule_item(c, s, f'Schedules[{s.get("ScheduleName")}]')
            if s.get('ScheduleName') == main:
                d = api.describe_schedule(flow, main)
                for k in SCHED_FIELDS:
                    c.eq(s.get(k), d.get(k), f'Schedules[{main}].{k} (same as DescribeSchedule)')
        st['listed'] = True
    with R.check('ListSchedules without Limit: all schedules, no NextToken; Limit 1 pages one by one') as c:
        need(listed=st.get('listed'))
        b = api.list_schedules(flow)
        c.eq([s.get('ScheduleName') for s in b.get('Schedules') or []], names, 'ScheduleNames')
        c.absent(b, 'NextToken', 'ListSchedules body')
        c.true(b.get('RequestId'), 'RequestId missing')
        _, pages = page_all(c, lambda t: api.list_schedules(flow, limit=1, next_token=t), 'Schedules', 1,
                            name_key='ScheduleName')
        c.eq(pages, [[n] for n in names], 'pages with Limit 1')
    for lim in (0, 1001):
        with R.check(f'ListSchedules Limit {lim} -> InvalidArgument 400') as c:
            need(flow=st.get('flow'))
            expect_error(c, lambda: api.list_schedules(flow, limit=lim), extract, 'InvalidArgument', 400,
                         'ListSchedules')
    if missing_checks:
        with R.check('CreateSchedule without CronExpression -> MissingRequiredParams 400') as c:
            need(flow=st.get('flow'))
            expect_error(c, lambda: api.create_schedule(flow, 'sch_nocron', None), extract,
                         'MissingRequiredParams', 400, 'CreateSchedule')
        with R.check('DescribeSchedule without ScheduleName -> MissingRequiredParams 400') as c:
            need(flow=st.get('flow'))
            expect_error(c, lambda: api.describe_schedule(flow, None), extract, 'MissingRequiredParams', 400,
                         'DescribeSchedule')

    # ---- firing on the emulated clock
    name_re = re.compile('^' + re.escape(main) + r'-[0-9a-f]{32}$')
    with R.check(f'schedule firing: clock advance {SCHED_ADVANCE} s starts one execution per minute boundary '
                 f'(2), Input = Payload') as c:
        need(enabled=st.get('enabled_at'))
        status, adv = advance_clock(SCHED_ADVANCE)
        c.eq(status, 200, f'POST /_emulator/clock/advance status (body {adv!r})')
        now_ms = parse_time_ms(adv.get('Now')) if isinstance(adv, dict) else None
        start_ms = parse_time_ms(st['enabled_at'])
        need(clock_now=now_ms, timer_start=start_ms)
        # Occurrences of "0 * * * * *" in (timer start, now]: 2, or 3 if a real minute boundary passed
        # between the UpdateSchedule that restarted the timer and the advance.
        boundaries = now_ms // 60000 - start_ms // 60000
        c.true(boundaries in (2, 3), f'minute boundaries between {st["enabled_at"]} and {adv.get("Now")}: {boundaries}')
        expected = boundaries + (st.get('pre_fired') or 0)
        deadline = time.time() + 5
        while True:
            execs = api.list_executions(flow, limit=100).get('Executions') or []
            done = [e for e in execs if e.get('Status') not in ('Starting', 'Running')]
            if (len(execs) >= expected and len(done) == len(execs)) or time.time() > deadline:
                break
            time.sleep(0.05)
        c.eq(len(execs), expected, f'number of executions started by the schedule ({[e.get("Name") for e in execs]})')
        for e in execs:
            n = e.get('Name')
            c.true(isinstance(n, str) and name_re.match(n),
                   f'execution name: expected {main}-{{32 hex digits}}, got {n!r}')
            c.eq(e.get('Input'), SCHED_PAYLOAD, f'Executions[{n}].Input (the Payload)')
            c.eq(e.get('Status'), 'Succeeded', f'Executions[{n}].Status')
            check_exec_item(c, e, f'Executions[{n}]')
        st['fired'] = len(execs)

    with R.check('DeleteSchedule -> 200; DescribeSchedule then ScheduleNotExists; the timer stops') as c:
        need(fired=st.get('fired'))
        b = api.delete_schedule(flow, main)
        c.true(b.get('RequestId'), f'RequestId missing in {b!r}')
        expect_error(c, lambda: api.describe_schedule(flow, main), extract, 'ScheduleNotExists', 404,
                     'DescribeSchedule')
        expect_error(c, lambda: api.delete_schedule(flow, main), extract, 'ScheduleNotExists', 404,
                     'DeleteSchedule (again)')
        c.eq([s.get('ScheduleName') for s in api.list_schedules(flow).get('Schedules') or []],
             sorted([off, extra]), 'ListSchedules after the delete')
        status, adv = advance_clock(60)
        c.eq(status, 200, f'POST /_emulator/clock/advance status (body {adv!r})')
        time.sleep(0.1)
        execs = api.list_executions(flow, limit=100).get('Executions') or []
        c.eq(len(execs), st['fired'], 'number of executions after another minute (deleted schedule must not fire)')
        for n in (off, extra):
            api.delete_schedule(flow, n)
        c.eq(api.list_schedules(flow).get('Schedules') or [], [], 'ListSchedules after deleting all')
