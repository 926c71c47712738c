#!/usr/bin/env python3
"""Conformance suite: the official Tea SDK (PyPI alibabacloud-fnf20190315 2.x) against the emulator.

Env: CLOUDFLOW_ENDPOINT (host:port), CLOUDFLOW_AK, CLOUDFLOW_SK.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sdkcheck import (AK, ENDPOINT, INPUT, SK, STOP_CAUSE, STOP_ERROR, Reporter, bad_definition,  # noqa: E402
                      callback_checks, check_history, expect_error, hold_definition, more_actions_checks, need,
                      one_line, pass_definition, rand_suffix, run_main)

from alibabacloud_fnf20190315 import models as m  # noqa: E402
from alibabacloud_fnf20190315.client import Client  # noqa: E402
from alibabacloud_tea_openapi import utils_models as oa  # noqa: E402
from alibabacloud_tea_openapi.exceptions import ClientException  # noqa: E402
from alibabacloud_tea_openapi.models import Config  # noqa: E402
from darabonba.runtime import RuntimeOptions  # noqa: E402
from Tea.exceptions import TeaException  # noqa: E402


def make_client(ak=AK, sk=SK):
    return Client(Config(access_key_id=ak, access_key_secret=sk, endpoint=ENDPOINT, protocol='http'))


def status_of(e):
    # alibabacloud_tea_openapi exceptions carry .status_code; Tea/Dara exceptions expose
    # .statusCode (copied from data['statusCode']).
    for attr in ('status_code', 'statusCode'):
        v = getattr(e, attr, None)
        if v is not None:
            return v
    if isinstance(getattr(e, 'data', None), dict):
        return e.data.get('statusCode')
    return None


def extract(e):
    """TeaException -> dict(code, status, message, raw, kind); None for non-API errors."""
    if not isinstance(e, TeaException):
        return None
    status = status_of(e)
    if status is None:  # e.g. UnretryableException for a connection/JSON problem
        return None
    data = e.data if isinstance(e.data, dict) else {}
    raw = {k: v for k, v in data.items() if k != 'statusCode'}
    return {'code': e.code, 'status': status, 'message': data.get('Message'), 'raw': raw,
            'kind': type(e).__name__, 'exc': e}


def describe(e):
    if isinstance(e, TeaException):
        return (f'{type(e).__name__}(code={getattr(e, "code", None)!r}, status={status_of(e)!r}, '
                f'message={getattr(e, "message", None)!r}, data={getattr(e, "data", None)!r}, '
                f'inner={getattr(e, "inner_exception", None)!r})')
    return repr(e)


def raw_call(client, action, method, params):
    """Same generic call path as the typed *_with_options methods; returns the raw JSON body."""
    p = oa.Params(action=action, version='2019-03-15', protocol='HTTPS', pathname='/', method=method,
                  auth_type='AK', style='RPC', req_body_type='formData', body_type='json')
    req = oa.OpenApiRequest(query=params) if method == 'GET' else oa.OpenApiRequest(body=params)
    res = client.call_api(p, req, RuntimeOptions())
    return res['statusCode'], res['body']


class TeaApi:
    """Adapter for the shared scenarios in sdkcheck.py: typed Tea calls, raw-key dicts back.

    Every call must answer HTTP 200; the body is returned as the model's to_map() (JSON key names)."""

    def __init__(self, client):
        self.cli = client

    @staticmethod
    def _body(r):
        if r.status_code != 200:
            raise AssertionError(f'HTTP status {r.status_code} for a successful call')
        return r.body.to_map()

    def create_flow(self, name, definition, description, type_='FDL', execution_mode=None):
        return self._body(self.cli.create_flow(m.CreateFlowRequest(
            name=name, definition=definition, description=description, type=type_, execution_mode=execution_mode)))

    def start_execution(self, flow, name, input_=None):
        return self._body(self.cli.start_execution(m.StartExecutionRequest(
            flow_name=flow, execution_name=name, input=input_)))

    def describe_execution(self, flow, name):
        return self._body(self.cli.describe_execution(m.DescribeExecutionRequest(flow_name=flow, execution_name=name)))

    def stop_execution(self, flow, name, error=None, cause=None):
        return self._body(self.cli.stop_execution(m.StopExecutionRequest(
            flow_name=flow, execution_name=name, error=error, cause=cause)))

    def history(self, flow, name):
        events, token = [], None
        for _ in range(50):
            b = self._body(self.cli.get_execution_history(m.GetExecutionHistoryRequest(
                flow_name=flow, execution_name=name, next_token=token)))
            events.extend(b.get('Events') or [])
            token = b.get('NextToken')
            if not token:
                break
        return events

    def report_succeeded(self, token, output):
        return self._body(self.cli.report_task_succeeded(m.ReportTaskSucceededRequest(task_token=token, output=output)))

    def report_failed(self, token, error, cause=None):
        return self._body(self.cli.report_task_failed(m.ReportTaskFailedRequest(
            task_token=token, error=error, cause=cause)))

    def describe_flow(self, name):
        return self._body(self.cli.describe_flow(m.DescribeFlowRequest(name=name)))

    def update_flow(self, name, definition=None, description=None, role_arn=None):
        return self._body(self.cli.update_flow(m.UpdateFlowRequest(
            name=name, definition=definition, description=description, role_arn=role_arn)))

    def delete_flow(self, name):
        return self._body(self.cli.delete_flow(m.DeleteFlowRequest(name=name)))

    def get_execution_history(self, flow, name, next_token=None):
        return self._body(self.cli.get_execution_history(m.GetExecutionHistoryRequest(
            flow_name=flow, execution_name=name, next_token=next_token)))

    def list_flows(self, limit=None, next_token=None):
        return self._body(self.cli.list_flows(m.ListFlowsRequest(limit=limit, next_token=next_token)))

    def list_executions(self, flow, limit=None, next_token=None, status=None, prefix=None, begin=None, end=None,
                        metadata_only=None):
        return self._body(self.cli.list_executions(m.ListExecutionsRequest(
            flow_name=flow, limit=limit, next_token=next_token, status=status, execution_name_prefix=prefix,
            started_time_begin=begin, started_time_end=end, metadata_only=metadata_only)))

    def start_sync_execution(self, flow, name=None, input_=None):
        return self._body(self.cli.start_sync_execution(m.StartSyncExecutionRequest(
            flow_name=flow, execution_name=name, input=input_)))

    def describe_regions(self, accept_language=None):
        return self._body(self.cli.describe_regions(m.DescribeRegionsRequest(accept_language=accept_language)))


def main():
    R = Reporter(describe)
    cli = make_client()
    sfx = rand_suffix()
    flow = f'sdk_tea_hold_{sfx}'
    definition = hold_definition(flow)
    desc = 'SDK conformance flow (tea)'
    exec_name = f'run1_{sfx}'
    st = {}

    # 1. CreateFlow
    with R.check('CreateFlow (new-style FDL, Type FDL, no RoleArn)') as c:
        r = cli.create_flow(m.CreateFlowRequest(name=flow, definition=definition, description=desc, type='FDL'))
        st['flow'] = flow
        b = r.body
        c.eq(r.status_code, 200, 'HTTP status')
        c.eq(b.name, flow, 'Name')
        c.eq(b.type, 'FDL', 'Type')
        c.eq(b.definition, definition, 'Definition')
        c.eq(b.description, desc, 'Description')
        c.true(isinstance(b.id, str) and b.id, f'Id: expected non-empty string, got {b.id!r}')
        c.time(b.created_time, 'CreatedTime')
        c.time(b.last_modified_time, 'LastModifiedTime')
        c.true(b.request_id, 'RequestId missing')
        c.true(b.role_arn in (None, ''), f'RoleArn: expected absent, got {b.role_arn!r}')
        st['flow_id'] = b.id

    # 2. DescribeFlow
    with R.check('DescribeFlow returns the submitted flow') as c:
        need(flow=st.get('flow'))
        r = cli.describe_flow(m.DescribeFlowRequest(name=flow))
        b = r.body
        c.eq(r.status_code, 200, 'HTTP status')
        c.eq(b.name, flow, 'Name')
        c.eq(b.definition, definition, 'Definition')
        c.eq(b.description, desc, 'Description')
        c.eq(b.type, 'FDL', 'Type')
        c.true(isinstance(b.id, str) and b.id, f'Id: expected non-empty string, got {b.id!r}')
        if st.get('flow_id'):
            c.eq(b.id, st['flow_id'], 'Id (same as CreateFlow)')
        c.time(b.created_time, 'CreatedTime')
        c.time(b.last_modified_time, 'LastModifiedTime')
        c.true(b.execution_mode in ('Standard', ''),
               f'ExecutionMode: expected "Standard" (or "" = Standard), got {b.execution_mode!r}')
        c.true(b.request_id, 'RequestId missing')

    # 3. StartExecution
    with R.check('StartExecution with Input and ExecutionName') as c:
        need(flow=st.get('flow'))
        r = cli.start_execution(m.StartExecutionRequest(flow_name=flow, execution_name=exec_name, input=INPUT))
        st['exec'] = exec_name
        b = r.body
        c.eq(r.status_code, 200, 'HTTP status')
        c.eq(b.name, exec_name, 'Name')
        c.eq(b.flow_name, flow, 'FlowName')
        c.true(b.status in ('Running', 'Starting'), f'Status: expected Running or Starting, got {b.status!r}')
        c.time(b.started_time, 'StartedTime')
        c.true(b.request_id, 'RequestId missing')
        st['started'] = b.started_time

    # 4. DescribeExecution (running)
    with R.check('DescribeExecution of the running execution') as c:
        need(execution=st.get('exec'))
        r = cli.describe_execution(m.DescribeExecutionRequest(flow_name=flow, execution_name=exec_name))
        b = r.body
        c.eq(r.status_code, 200, 'HTTP status')
        c.eq(b.name, exec_name, 'Name')
        c.eq(b.flow_name, flow, 'FlowName')
        c.true(b.status in ('Running', 'Starting'), f'Status: expected Running or Starting, got {b.status!r}')
        c.time(b.started_time, 'StartedTime')
        if st.get('started'):
            c.eq(b.started_time, st['started'], 'StartedTime (same as StartExecution)')
        c.eq(b.flow_definition, definition, 'FlowDefinition')
        c.eq(b.input, INPUT, 'Input')
        c.true(b.stopped_time in (None, ''), f'StoppedTime: expected absent, got {b.stopped_time!r}')
        # RoleArn is not in the Tea model; look at the raw body.
        status, body = raw_call(cli, 'DescribeExecution', 'GET', {'FlowName': flow, 'ExecutionName': exec_name})
        c.absent(body, 'RoleArn', 'raw DescribeExecution body')
        c.absent(body, 'StoppedTime', 'raw DescribeExecution body')

    # 5. StopExecution
    with R.check('StopExecution with Error and Cause') as c:
        need(execution=st.get('exec'))
        r = cli.stop_execution(m.StopExecutionRequest(flow_name=flow, execution_name=exec_name,
                                                      error=STOP_ERROR, cause=STOP_CAUSE))
        st['stopped'] = True
        b = r.body
        c.eq(r.status_code, 200, 'HTTP status')
        c.eq(b.status, 'Stopped', 'Status')
        c.time(b.stopped_time, 'StoppedTime')
        c.eq(b.name, exec_name, 'Name')
        c.eq(b.flow_name, flow, 'FlowName')
        c.eq(b.input, INPUT, 'Input')
        c.time(b.started_time, 'StartedTime')
        if st.get('started'):
            c.eq(b.started_time, st['started'], 'StartedTime (same as StartExecution)')
        if b.started_time and b.stopped_time:
            c.true(b.stopped_time >= b.started_time, f'StoppedTime {b.stopped_time} < StartedTime {b.started_time}')
        c.true(b.role_arn in (None, ''), f'RoleArn: expected absent, got {b.role_arn!r}')
        c.true(b.request_id, 'RequestId missing')
        st['stopped_time'] = b.stopped_time

    # 6. DescribeExecution (stopped)
    with R.check('DescribeExecution after stop shows Stopped') as c:
        need(stopped=st.get('stopped'))
        b = cli.describe_execution(m.DescribeExecutionRequest(flow_name=flow, execution_name=exec_name)).body
        c.eq(b.status, 'Stopped', 'Status')
        c.time(b.stopped_time, 'StoppedTime')
        if st.get('stopped_time'):
            c.eq(b.stopped_time, st['stopped_time'], 'StoppedTime (same as StopExecution)')
        c.eq(b.input, INPUT, 'Input')
        c.eq(b.flow_definition, definition, 'FlowDefinition')

    # 7. StopExecution again
    with R.check('StopExecution on a stopped execution -> ExecutionAlreadyCompleted 400') as c:
        need(stopped=st.get('stopped'))
        info = expect_error(c, lambda: cli.stop_execution(m.StopExecutionRequest(
            flow_name=flow, execution_name=exec_name, error=STOP_ERROR, cause=STOP_CAUSE)),
            extract, 'ExecutionAlreadyCompleted', 400, 'StopExecution')
        if info:
            c.true(isinstance(info['exc'], ClientException), f'expected a ClientException, got {info["kind"]}')
            c.eq(getattr(info['exc'], 'statusCode', None), 400, 'exception.statusCode')
            c.eq(info['exc'].data.get('statusCode') if isinstance(info['exc'].data, dict) else None, 400,
                 'exception.data["statusCode"]')
            c.eq(info['message'], f"Execution '{exec_name}' for flow '{flow}' has already completed.", 'Message')
            c.true(info['raw'].get('RequestId'), f'RequestId missing in error body {info["raw"]!r}')

    # 8. GetExecutionHistory
    with R.check('GetExecutionHistory of the stopped execution') as c:
        need(stopped=st.get('stopped'))
        events, token, pages = [], None, 0
        while True:
            r = cli.get_execution_history(m.GetExecutionHistoryRequest(
                flow_name=flow, execution_name=exec_name, next_token=token))
            c.eq(r.status_code, 200, 'HTTP status')
            events.extend(ev.to_map() for ev in (r.body.events or []))
            token = r.body.next_token
            pages += 1
            if not token or pages >= 20:
                break
        check_history(c, events, 'ExecutionStopped', {'Error': STOP_ERROR, 'Cause': STOP_CAUSE})
        if c.errors:
            c.fail('events=' + one_line(json.dumps(events), 800))

    # 9. StartExecution with the same name (ended execution)
    with R.check('StartExecution reusing the name of an ended execution -> ExecutionAlreadyExists 400') as c:
        need(stopped=st.get('stopped'))
        st['dup_exec'] = expect_error(c, lambda: cli.start_execution(m.StartExecutionRequest(
            flow_name=flow, execution_name=exec_name, input=INPUT)), extract, 'ExecutionAlreadyExists', 400,
            'StartExecution')
    with R.check('ExecutionAlreadyExists message') as c:
        need(error=st.get('dup_exec'))
        c.eq(st['dup_exec']['message'], f'Execution {exec_name} for flow {flow} already exists.', 'Message')

    # 10. StopExecution on an unknown execution
    with R.check('StopExecution of an unknown execution -> ExecutionNotExists 404') as c:
        need(flow=st.get('flow'))
        st['nx_exec'] = expect_error(c, lambda: cli.stop_execution(m.StopExecutionRequest(
            flow_name=flow, execution_name=f'nosuch_{sfx}')), extract, 'ExecutionNotExists', 404, 'StopExecution')
    with R.check('ExecutionNotExists message') as c:
        need(error=st.get('nx_exec'))
        c.eq(st['nx_exec']['message'], f'Execution nosuch_{sfx} for flow {flow} does not exist.', 'Message')

    # 11. DescribeFlow of an unknown flow
    with R.check('DescribeFlow of an unknown flow -> FlowNotExists 404') as c:
        st['nx_flow'] = expect_error(c, lambda: cli.describe_flow(m.DescribeFlowRequest(name=f'nosuch_flow_{sfx}')),
                                     extract, 'FlowNotExists', 404, 'DescribeFlow')
    with R.check('FlowNotExists message') as c:
        need(error=st.get('nx_flow'))
        # api.md 3.2 quotes 'Flow  %s does not exist.' (two spaces), StopExecution.md one space.
        c.true(st['nx_flow']['message'] in (f'Flow nosuch_flow_{sfx} does not exist.',
                                            f'Flow  nosuch_flow_{sfx} does not exist.'),
               f'Message: got {st["nx_flow"]["message"]!r}')

    # 12. Error length limits (on a second, running execution)
    exec2 = f'run2_{sfx}'
    with R.check('StopExecution with a 129-char Error -> InvalidArgument 400') as c:
        need(flow=st.get('flow'))
        r = cli.start_execution(m.StartExecutionRequest(flow_name=flow, execution_name=exec2, input=INPUT))
        c.true(r.body.status in ('Running', 'Starting'), f'StartExecution {exec2}: status {r.body.status!r}')
        st['exec2'] = exec2
        expect_error(c, lambda: cli.stop_execution(m.StopExecutionRequest(
            flow_name=flow, execution_name=exec2, error='E' * 129, cause=STOP_CAUSE)),
            extract, 'InvalidArgument', 400, 'StopExecution')
    with R.check('execution still running after the rejected StopExecution') as c:
        need(execution=st.get('exec2'))
        b = cli.describe_execution(m.DescribeExecutionRequest(flow_name=flow, execution_name=exec2)).body
        c.true(b.status in ('Running', 'Starting'), f'Status: expected Running or Starting, got {b.status!r}')
    with R.check('StopExecution with a 128-char Error is accepted') as c:
        need(execution=st.get('exec2'))
        b = cli.stop_execution(m.StopExecutionRequest(flow_name=flow, execution_name=exec2,
                                                      error='E' * 128, cause=STOP_CAUSE)).body
        c.eq(b.status, 'Stopped', 'Status')

    # 13. Authentication errors
    with R.check('wrong AccessKeySecret -> SignatureNotMatch 403') as c:
        bad = make_client(AK, SK + 'x')
        expect_error(c, lambda: bad.describe_flow(m.DescribeFlowRequest(name=flow)),
                     extract, 'SignatureNotMatch', 403, 'DescribeFlow')
    with R.check('unknown AccessKeyId -> InvalidAccessKeyID 403') as c:
        bad = make_client('unknownKeyId' + sfx, SK)
        expect_error(c, lambda: bad.describe_flow(m.DescribeFlowRequest(name=flow)),
                     extract, 'InvalidAccessKeyID', 403, 'DescribeFlow')

    # 14. CreateFlow conflicts / validation
    with R.check('CreateFlow with an existing name -> FlowAlreadyExists 409') as c:
        need(flow=st.get('flow'))
        info = expect_error(c, lambda: cli.create_flow(m.CreateFlowRequest(
            name=flow, definition=definition, description=desc, type='FDL')), extract, 'FlowAlreadyExists', 409,
            'CreateFlow')
        st['dup_flow'] = info
    with R.check('FlowAlreadyExists message') as c:
        need(error=st.get('dup_flow'))
        c.eq(st['dup_flow']['message'], f'Flow {flow} already exists.', 'Message')
    bad_flow = f'sdk_tea_bad_{sfx}'
    with R.check('CreateFlow with an invalid definition (StartAt names a missing state) -> InvalidArgument 400') as c:
        expect_error(c, lambda: cli.create_flow(m.CreateFlowRequest(
            name=bad_flow, definition=bad_definition(bad_flow), description=desc, type='FDL')),
            extract, 'InvalidArgument', 400, 'CreateFlow')
    with R.check('rejected flow was not created') as c:
        expect_error(c, lambda: cli.describe_flow(m.DescribeFlowRequest(name=bad_flow)),
                     extract, 'FlowNotExists', 404, 'DescribeFlow')

    # 15. A short Pass chain runs to completion
    pflow = f'sdk_tea_pass_{sfx}'
    pexec = f'runp_{sfx}'
    with R.check('Pass -> Succeed flow: CreateFlow + StartExecution') as c:
        cli.create_flow(m.CreateFlowRequest(name=pflow, definition=pass_definition(pflow), description=desc,
                                            type='FDL'))
        r = cli.start_execution(m.StartExecutionRequest(flow_name=pflow, execution_name=pexec, input=INPUT))
        c.eq(r.body.name, pexec, 'Name')
        st['pexec'] = pexec
    with R.check('Pass -> Succeed execution reaches Succeeded within 5 s with a JSON-object Output') as c:
        need(execution=st.get('pexec'))
        deadline = time.time() + 5
        b = None
        while True:
            b = cli.describe_execution(m.DescribeExecutionRequest(flow_name=pflow, execution_name=pexec)).body
            if b.status not in ('Starting', 'Running') or time.time() > deadline:
                break
            time.sleep(0.1)
        c.eq(b.status, 'Succeeded', 'Status')
        if b.status == 'Succeeded':
            st['psucceeded'] = True
            c.json_object_string(b.output, 'Output')
            c.time(b.stopped_time, 'StoppedTime')
    with R.check('GetExecutionHistory of the succeeded execution ends with ExecutionSucceeded') as c:
        need(succeeded=st.get('psucceeded'))
        r = cli.get_execution_history(m.GetExecutionHistoryRequest(flow_name=pflow, execution_name=pexec))
        events = [ev.to_map() for ev in (r.body.events or [])]
        check_history(c, events, 'ExecutionSucceeded')
        if c.errors:
            c.fail('events=' + one_line(json.dumps(events), 800))

    # Callback tasks (WaitForCustomCallback + ReportTaskSucceeded/ReportTaskFailed).
    api = TeaApi(cli)
    callback_checks(R, api, extract, sfx, 'tea')

    # UpdateFlow, DeleteFlow, ListFlows, ListExecutions, StartSyncExecution, DescribeRegions.
    more_actions_checks(R, api, extract, sfx, 'tea', sync=True, regions=True)

    return R.finish()


if __name__ == '__main__':
    run_main(main)
