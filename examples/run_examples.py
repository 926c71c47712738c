#!/usr/bin/env python3
"""Run the example flows against the emulator through the official Python SDK (Tea SDK,
PyPI alibabacloud-fnf20190315).

usage: run_examples.py PATH_TO_EMULATOR_BINARY

It starts a tiny local "function" server (the FC functions the flows call), writes an --init
file that preloads order_processing and human_approval and points their functions at that
server, starts the emulator on a free loopback port, and then runs each example as a test:

  * order_processing.yaml  Choice / Parallel / Map / Retry / Catch on several orders
  * human_approval.yaml    WaitForCustomCallback answered with ReportTaskSucceeded / ReportTaskFailed
  * legacy_flow.yaml       a `type: flow` definition, created with CreateFlow; skipped with a clear
                           line when this build refuses legacy definitions

Each check prints one line ("ok - ..." / "not ok - ..." / "skipped: ..."); the last line is
"N passed, M failed" and the exit status is non-zero when anything failed.
Requires: pip install alibabacloud-fnf20190315 (tests/sdk/run.sh installs it into target/sdk-venv).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from alibabacloud_fnf20190315 import models as m
from alibabacloud_fnf20190315.client import Client
from alibabacloud_tea_openapi.models import Config
from Tea.exceptions import TeaException

HERE = os.path.dirname(os.path.abspath(__file__))
AK, SK = 'exampleKeyId', 'exampleKeySecret'


# ------------------------------------------------------------------ the local FC functions
class Functions:
    """State of the fake functions, shared with the checks."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = {}          # function name -> number of calls
        self.charge_attempts = {}  # orderId -> attempts (the first one is throttled)
        self.tokens = {}         # expenseId -> task token handed to notify_approver

    def handle(self, name, body):
        """Return (HTTP status, JSON answer) for a call of function `name`."""
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1
            if name == 'fraud_check':
                return 200, {'score': 12 if body.get('total', 0) < 5000 else 87}
            if name == 'charge_card':
                n = self.charge_attempts.get(body['orderId'], 0) + 1
                self.charge_attempts[body['orderId']] = n
                if n == 1:  # the card service is busy at first: Retry handles it
                    return 429, {'ErrorCode': 'ResourceThrottled', 'ErrorMessage': 'try again'}
                return 200, {'chargeId': 'ch_' + body['orderId'], 'amount': body['amount']}
            if name == 'reserve_stock':
                if body.get('sku') == 'OUT-OF-STOCK':
                    return 409, {'ErrorCode': 'OutOfStock', 'ErrorMessage': body.get('sku')}
                return 200, {'reservation': 'r-' + body['sku']}
            if name == 'notify_approver':
                self.tokens[body['expenseId']] = body['taskToken']
                return 200, {'notified': body.get('approver')}
            if name == 'print_label':
                item = body.get('item') or {}
                return 200, {'label': 'LBL-' + str(item.get('sku', '?'))}
        return 404, {'ErrorCode': 'FunctionNotFound'}


def start_function_server(functions):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get('Content-Length') or 0))
            try:
                body = json.loads(raw or b'{}')
            except ValueError:
                body = {}
            status, answer = functions.handle(self.path.strip('/'), body if isinstance(body, dict) else {})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ------------------------------------------------------------------ checks
class Reporter:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0

    def check(self, name, fn):
        try:
            result = fn()
        except Exception as e:  # a failing check never stops the run
            self.failed += 1
            detail = e.args[0] if isinstance(e, AssertionError) and e.args else repr(e)
            print(f'not ok - {name}: {detail}', flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc(file=sys.stderr)
            return None
        if isinstance(result, Skip):
            self.skipped += 1
            print(f'skipped: {name}: {result.reason}', flush=True)
        else:
            self.passed += 1
            print(f'ok - {name}', flush=True)
        return result


class Skip:
    def __init__(self, reason):
        self.reason = reason


def eq(actual, expected, what):
    if actual != expected:
        raise AssertionError(f'{what}: expected {expected!r}, got {actual!r}')


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Examples:
    def __init__(self, binary, endpoint, functions):
        self.binary = binary
        self.endpoint = endpoint
        self.functions = functions
        self.cli = Client(Config(access_key_id=AK, access_key_secret=SK, endpoint=endpoint, protocol='http'))

    # --- helpers
    def start(self, flow, name, data):
        self.cli.start_execution(m.StartExecutionRequest(flow_name=flow, execution_name=name,
                                                         input=json.dumps(data)))

    def wait_done(self, flow, name, timeout=20.0):
        deadline = time.time() + timeout
        while True:
            b = self.cli.describe_execution(m.DescribeExecutionRequest(flow_name=flow, execution_name=name)).body
            if b.status not in ('Starting', 'Running'):
                return b
            if time.time() > deadline:
                raise AssertionError(f'{flow}/{name} still {b.status} after {timeout} s')
            time.sleep(0.05)

    def history(self, flow, name):
        events, token = [], None
        while True:
            r = self.cli.get_execution_history(m.GetExecutionHistoryRequest(
                flow_name=flow, execution_name=name, next_token=token, limit=100)).body
            events.extend(ev.to_map() for ev in (r.events or []))
            token = r.next_token
            if not token:
                return events

    def run_order(self, name, order, expect_status='Succeeded'):
        self.start('order_processing', name, order)
        b = self.wait_done('order_processing', name)
        eq(b.status, expect_status, f'status of {name} (output {b.output!r})')
        return b

    # --- the checks
    def validate_offline(self):
        files = [os.path.join(HERE, f) for f in ('order_processing.yaml', 'human_approval.yaml')]
        out = subprocess.run([self.binary, 'validate', *files], capture_output=True, text=True, timeout=30)
        eq(out.returncode, 0, f'exit status (output {out.stdout!r} {out.stderr!r})')
        eq(out.stdout.splitlines(), [f'OK {f}' for f in files], 'output')

    def preloaded(self):
        for flow in ('order_processing', 'human_approval'):
            b = self.cli.describe_flow(m.DescribeFlowRequest(name=flow)).body
            eq(b.name, flow, 'DescribeFlow Name')

    def big_order(self):
        order = {'orderId': 'o-1001', 'total': 750,
                 'items': [{'sku': 'KEYBOARD', 'qty': 1}, {'sku': 'MOUSE', 'qty': 2}]}
        b = self.run_order('big-order', order)
        out = json.loads(b.output)
        eq(out, {'status': 'confirmed', 'orderId': 'o-1001', 'chargeId': 'ch_o-1001',
                 'reservations': [{'sku': 'KEYBOARD', 'reservation': 'r-KEYBOARD'},
                                  {'sku': 'MOUSE', 'reservation': 'r-MOUSE'}]}, 'output')
        events = self.history('order_processing', 'big-order')
        steps = [e.get('StepName') for e in events if e.get('Type') == 'StepEntered']
        if 'FraudCheck' not in steps:
            raise AssertionError(f'FraudCheck was not entered for a total of 750: {steps}')
        throttled = [e for e in events if e.get('Type') == 'TaskFailed'
                     and 'FC.ResourceThrottled' in (e.get('EventDetail') or '')]
        eq(len(throttled), 1, 'throttled ChargeCard attempts retried')

    def small_order(self):
        b = self.run_order('small-order', {'orderId': 'o-1002', 'total': 40, 'items': [{'sku': 'CABLE', 'qty': 3}]})
        eq(json.loads(b.output)['status'], 'confirmed', 'output status')
        steps = [e.get('StepName') for e in self.history('order_processing', 'small-order')
                 if e.get('Type') == 'StepEntered']
        if 'FraudCheck' in steps:
            raise AssertionError('a small order went through FraudCheck')

    def out_of_stock(self):
        b = self.run_order('out-of-stock', {'orderId': 'o-1003', 'total': 90,
                                            'items': [{'sku': 'CABLE', 'qty': 1}, {'sku': 'OUT-OF-STOCK', 'qty': 1}]})
        eq(json.loads(b.output), {'status': 'cancelled', 'orderId': 'o-1003', 'reason': 'FC.OutOfStock'}, 'output')

    def empty_order(self):
        self.start('order_processing', 'empty-order', {'orderId': 'o-1004', 'total': 0, 'items': []})
        b = self.wait_done('order_processing', 'empty-order')
        eq(b.status, 'Failed', 'status')
        events = self.history('order_processing', 'empty-order')
        last = json.loads(events[-1].get('EventDetail') or '{}')
        eq(last.get('Error'), 'Order.Empty', 'ExecutionFailed error')

    def wait_token(self, expense_id, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.functions.lock:
                token = self.functions.tokens.get(expense_id)
            if token:
                return token
            time.sleep(0.05)
        raise AssertionError(f'notify_approver never received a token for {expense_id}')

    def approval_granted(self):
        self.start('human_approval', 'exp-1', {'expenseId': 'exp-1', 'amount': 120, 'approver': 'alice'})
        token = self.wait_token('exp-1')
        eq(self.cli.describe_execution(m.DescribeExecutionRequest(
            flow_name='human_approval', execution_name='exp-1')).body.status, 'Running', 'status while waiting')
        self.cli.report_task_succeeded(m.ReportTaskSucceededRequest(
            task_token=token, output=json.dumps({'approvedBy': 'alice'})))
        b = self.wait_done('human_approval', 'exp-1')
        eq(b.status, 'Succeeded', 'status')
        eq(json.loads(b.output), {'status': 'approved', 'expenseId': 'exp-1', 'approvedBy': 'alice'}, 'output')

    def approval_rejected(self):
        self.start('human_approval', 'exp-2', {'expenseId': 'exp-2', 'amount': 9000, 'approver': 'bob'})
        token = self.wait_token('exp-2')
        self.cli.report_task_failed(m.ReportTaskFailedRequest(
            task_token=token, error='Approval.Rejected', cause='over budget'))
        b = self.wait_done('human_approval', 'exp-2')
        eq(b.status, 'Succeeded', 'status')
        eq(json.loads(b.output), {'status': 'rejected', 'expenseId': 'exp-2', 'reason': 'over budget'}, 'output')

    def legacy(self):
        with open(os.path.join(HERE, 'legacy_flow.yaml')) as f:
            definition = f.read()
        try:
            self.cli.create_flow(m.CreateFlowRequest(name='legacy_labels', type='FDL', description='legacy example',
                                                     definition=definition))
        except TeaException as e:
            message = str(getattr(e, 'message', '') or '') + str(getattr(e, 'data', '') or '')
            if getattr(e, 'code', None) == 'InvalidArgument' and 'Legacy' in message:
                return Skip('legacy not supported by this build')
            raise
        self.start('legacy_labels', 'labels-1', {'priority': 'high', 'items': [{'sku': 'A'}, {'sku': 'B'}]})
        b = self.wait_done('legacy_labels', 'labels-1')
        eq(b.status, 'Succeeded', 'status')
        # fdl.md Part B: without flow outputMappings the output is $local, the union of the steps' outputs.
        eq(json.loads(b.output), {'greeting': 'order received', 'shipping': 'express', 'labels': ['LBL-A', 'LBL-B']},
           'output')
        with self.functions.lock:
            eq(self.functions.calls.get('print_label'), 2, 'print_label calls (one per item)')

    def reset(self):
        req = urllib.request.Request(f'http://{self.endpoint}/_emulator/reset', data=b'', method='POST')
        with urllib.request.urlopen(req, timeout=10) as r:
            report = json.loads(r.read())
        eq(report.get('FlowsPreloaded'), 2, f'FlowsPreloaded ({report})')
        self.preloaded()
        try:
            self.cli.describe_execution(m.DescribeExecutionRequest(flow_name='order_processing',
                                                                   execution_name='big-order'))
        except TeaException as e:
            eq(e.code, 'ExecutionNotExists', 'error after reset')
        else:
            raise AssertionError('big-order still exists after the reset')


def main():
    if len(sys.argv) != 2:
        print(f'usage: {sys.argv[0]} PATH_TO_EMULATOR_BINARY', file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    functions = Functions()
    fn_server = start_function_server(functions)
    fn_base = f'http://127.0.0.1:{fn_server.server_address[1]}'
    work = tempfile.mkdtemp(prefix='cloudflow-examples-')
    init = os.path.join(work, 'init.yaml')
    with open(init, 'w') as f:
        json.dump({  # JSON is YAML
            'functions': {n: f'{fn_base}/{n}' for n in
                          ('fraud_check', 'charge_card', 'reserve_stock', 'notify_approver', 'print_label')},
            'flows': [
                {'name': 'order_processing', 'description': 'example: order processing',
                 'definition_file': os.path.join(HERE, 'order_processing.yaml')},
                {'name': 'human_approval', 'description': 'example: human approval',
                 'definition_file': os.path.join(HERE, 'human_approval.yaml')},
            ],
        }, f, indent=2)
    port = free_port()
    endpoint = f'127.0.0.1:{port}'
    log_path = os.path.join(work, 'emulator.log')
    log = open(log_path, 'w')
    env = {k: v for k, v in os.environ.items() if not k.startswith('CLOUDFLOW_')}
    # --time-scale 0.01: the Retry intervals (2 s, 4 s emulated) take milliseconds.
    server = subprocess.Popen([binary, '--listen', endpoint, '--access-key-id', AK, '--access-key-secret', SK,
                               '--init', init, '--time-scale', '0.01'], stdout=log, stderr=log, env=env)
    R = Reporter()
    try:
        deadline = time.time() + 10
        while True:
            if server.poll() is not None:
                log.flush()
                print(open(log_path).read(), file=sys.stderr)
                print(f'not ok - start the emulator: exited with status {server.returncode}')
                print('0 passed, 1 failed')
                return 1
            hc = subprocess.run([binary, 'healthcheck', '--url', f'http://{endpoint}/_emulator/health',
                                 '--timeout', '1'], capture_output=True, env=env)
            if hc.returncode == 0:
                break
            if time.time() > deadline:
                print('not ok - start the emulator: not healthy after 10 s')
                print('0 passed, 1 failed')
                return 1
            time.sleep(0.1)
        ex = Examples(binary, endpoint, functions)
        R.check('validate: the example definitions are valid offline', ex.validate_offline)
        R.check('--init: order_processing and human_approval are preloaded', ex.preloaded)
        R.check('order_processing: a big order is screened, charged after a throttled try, and reserved',
                ex.big_order)
        R.check('order_processing: a small order skips the fraud check', ex.small_order)
        R.check('order_processing: an item out of stock cancels the order (Catch)', ex.out_of_stock)
        R.check('order_processing: an empty order fails with Order.Empty', ex.empty_order)
        R.check('human_approval: ReportTaskSucceeded approves', ex.approval_granted)
        R.check('human_approval: ReportTaskFailed(Approval.Rejected) rejects', ex.approval_rejected)
        R.check('legacy_flow: a type: flow definition runs', ex.legacy)
        R.check('reset: executions are gone, preloaded flows are back', ex.reset)
        if server.poll() is not None:
            R.failed += 1
            print(f'not ok - the emulator exited during the run (status {server.returncode}); log: {log_path}')
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        fn_server.shutdown()
        log.close()
    if R.failed:
        print(f'# emulator log: {log_path}', file=sys.stderr)
    print(f'{R.passed} passed, {R.failed} failed')
    return 1 if R.failed else 0


if __name__ == '__main__':
    sys.exit(main())
