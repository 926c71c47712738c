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
import traceback

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
