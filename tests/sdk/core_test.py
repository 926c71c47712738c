#!/usr/bin/env python3
"""Conformance suite: the old Python SDK (aliyun-python-sdk-core + aliyun-python-sdk-fnf) against the emulator.

Env: CLOUDFLOW_ENDPOINT (host:port), CLOUDFLOW_AK, CLOUDFLOW_SK.

Notes from the SDK source (aliyunsdkcore 2.16.1, client.py):
* do_action_with_exception() returns the raw body bytes; any non-2xx status raises
  ServerException(Code, Message, http_status, RequestId) parsed from the JSON body.
* fnf is not in retry_config.json, so no automatic retries happen for these actions.
* A 400 with Code 'SignatureDoesNotMatch' is special-cased (relabelled InvalidAccessKeySecret);
  fnf documents 'SignatureNotMatch'/403 instead, which is passed through unchanged.
"""

import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sdkcheck import (AK, ENDPOINT, INPUT, SK, STOP_CAUSE, STOP_ERROR, Reporter, bad_definition,  # noqa: E402
                      callback_checks, check_history, expect_error, hold_definition, more_actions_checks, need,
                      one_line, pass_definition, rand_suffix, run_main, schedule_checks)

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException  # noqa: E402
from aliyunsdkcore.client import AcsClient  # noqa: E402
from aliyunsdkfnf.request.v20190315 import (CreateFlowRequest, CreateScheduleRequest,  # noqa: E402
                                            DeleteFlowRequest, DeleteScheduleRequest,
                                            DescribeExecutionRequest, DescribeFlowRequest,
                                            DescribeScheduleRequest, GetExecutionHistoryRequest,
                                            ListExecutionsRequest, ListFlowsRequest, ListSchedulesRequest,
                                            ReportTaskFailedRequest, ReportTaskSucceededRequest,
                                            StartExecutionRequest, StartSyncExecutionRequest,
                                            StopExecutionRequest, UpdateFlowRequest, UpdateScheduleRequest)

# The core SDK logs every ServerException at ERROR level; the suite reports errors itself.
logging.getLogger('aliyunsdkcore').setLevel(logging.CRITICAL)


def make_client(ak=AK, sk=SK):
    return AcsClient(ak, sk, 'cn-hangzhou')


def prep(req):
    # Called after construction: StartSyncExecutionRequest.__init__ forces https, this sets http back.
    req.set_endpoint(ENDPOINT)
    req.set_protocol_type('http')
    return req


class Api:
    """Thin wrappers: build the request object, send it, decode the JSON body."""

    def __init__(self, client):
        self.client = client

    def _do(self, req):
        body = self.client.do_action_with_exception(prep(req))
        return json.loads(body.decode('utf-8'))

    def create_flow(self, name, definition, description, type_='FDL', execution_mode=None):
        req = CreateFlowRequest.CreateFlowRequest()
        req.set_Name(name)
        req.set_Definition(definition)
        req.set_Description(description)
        req.set_Type(type_)
        if execution_mode is not None:
            req.set_ExecutionMode(execution_mode)
        return self._do(req)

    def update_flow(self, name, definition=None, description=None, role_arn=None):
        req = UpdateFlowRequest.UpdateFlowRequest()
        if name is not None:
            req.set_Name(name)
        if definition is not None:
            req.set_Definition(definition)
        if description is not None:
            req.set_Description(description)
        if role_arn is not None:
            req.set_RoleArn(role_arn)
        return self._do(req)

    def delete_flow(self, name):
        req = DeleteFlowRequest.DeleteFlowRequest()
        if name is not None:
            req.set_Name(name)
        return self._do(req)

    def list_flows(self, limit=None, next_token=None):
        req = ListFlowsRequest.ListFlowsRequest()
        if limit is not None:
            req.set_Limit(limit)
        if next_token is not None:
            req.set_NextToken(next_token)
        return self._do(req)

    def list_executions(self, flow, limit=None, next_token=None, status=None, prefix=None, begin=None, end=None,
                        metadata_only=None):
        req = ListExecutionsRequest.ListExecutionsRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if limit is not None:
            req.set_Limit(limit)
        if next_token is not None:
            req.set_NextToken(next_token)
        if status is not None:
            req.set_Status(status)
        if prefix is not None:
            req.set_ExecutionNamePrefix(prefix)
        if begin is not None:
            req.set_StartedTimeBegin(begin)
        if end is not None:
            req.set_StartedTimeEnd(end)
        if metadata_only is not None:
            # No setter in aliyun-python-sdk-fnf 1.8.3; the request's generic query parameter instead.
            req.add_query_param('MetadataOnly', 'true' if metadata_only else 'false')
        return self._do(req)

    def start_sync_execution(self, flow, name=None, input_=None):
        req = StartSyncExecutionRequest.StartSyncExecutionRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if name is not None:
            req.set_ExecutionName(name)
        if input_ is not None:
            req.set_Input(input_)
        return self._do(req)

    def describe_flow(self, name):
        req = DescribeFlowRequest.DescribeFlowRequest()
        req.set_Name(name)
        return self._do(req)

    def start_execution(self, flow, name, input_=None):
        req = StartExecutionRequest.StartExecutionRequest()
        req.set_FlowName(flow)
        req.set_ExecutionName(name)
        if input_ is not None:
            req.set_Input(input_)
        return self._do(req)

    def describe_execution(self, flow, name):
        req = DescribeExecutionRequest.DescribeExecutionRequest()
        req.set_FlowName(flow)
        req.set_ExecutionName(name)
        return self._do(req)

    def stop_execution(self, flow, name, error=None, cause=None):
        req = StopExecutionRequest.StopExecutionRequest()
        req.set_FlowName(flow)
        req.set_ExecutionName(name)
        if error is not None:
            req.set_Error(error)
        if cause is not None:
            req.set_Cause(cause)
        return self._do(req)

    def get_execution_history(self, flow, name, next_token=None):
        req = GetExecutionHistoryRequest.GetExecutionHistoryRequest()
        req.set_FlowName(flow)
        req.set_ExecutionName(name)
        if next_token:
            req.set_NextToken(next_token)
        return self._do(req)

    def history(self, flow, name):
        events, token = [], None
        for _ in range(50):
            b = self.get_execution_history(flow, name, token)
            events.extend(b.get('Events') or [])
            token = b.get('NextToken')
            if not token:
                break
        return events

    def report_succeeded(self, token, output):
        req = ReportTaskSucceededRequest.ReportTaskSucceededRequest()
        if token is not None:
            req.set_TaskToken(token)
        if output is not None:
            req.set_Output(output)
        return self._do(req)

    def report_failed(self, token, error, cause=None):
        req = ReportTaskFailedRequest.ReportTaskFailedRequest()
        if token is not None:
            req.set_TaskToken(token)
        if error is not None:
            req.set_Error(error)
        if cause is not None:
            req.set_Cause(cause)
        return self._do(req)


    # ---- schedules (Enable is a Python bool: the SDK sends it as the text True/False)
    @staticmethod
    def _schedule_fields(req, cron=None, payload=None, enable=None, description=None):
        if cron is not None:
            req.set_CronExpression(cron)
        if payload is not None:
            req.set_Payload(payload)
        if enable is not None:
            req.set_Enable(enable)
        if description is not None:
            req.set_Description(description)

    def create_schedule(self, flow, name, cron, payload=None, enable=None, description=None):
        req = CreateScheduleRequest.CreateScheduleRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if name is not None:
            req.set_ScheduleName(name)
        self._schedule_fields(req, cron, payload, enable, description)
        return self._do(req)

    def describe_schedule(self, flow, name):
        req = DescribeScheduleRequest.DescribeScheduleRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if name is not None:
            req.set_ScheduleName(name)
        return self._do(req)

    def update_schedule(self, flow, name, cron=None, payload=None, enable=None, description=None):
        req = UpdateScheduleRequest.UpdateScheduleRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if name is not None:
            req.set_ScheduleName(name)
        self._schedule_fields(req, cron, payload, enable, description)
        return self._do(req)

    def delete_schedule(self, flow, name):
        req = DeleteScheduleRequest.DeleteScheduleRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if name is not None:
            req.set_ScheduleName(name)
        return self._do(req)

    def list_schedules(self, flow, limit=None, next_token=None):
        req = ListSchedulesRequest.ListSchedulesRequest()
        if flow is not None:
            req.set_FlowName(flow)
        if limit is not None:
            req.set_Limit(limit)
        if next_token is not None:
            req.set_NextToken(next_token)
        return self._do(req)


def extract(e):
    if not isinstance(e, ServerException):
        return None
    raw = {'Code': e.get_error_code(), 'Message': e.get_error_msg(), 'RequestId': e.get_request_id()}
    return {'code': e.get_error_code(), 'status': e.get_http_status(), 'message': e.get_error_msg(),
            'raw': raw, 'kind': type(e).__name__, 'exc': e}


def describe(e):
    if isinstance(e, ServerException):
        return (f'ServerException(code={e.get_error_code()!r}, status={e.get_http_status()!r}, '
                f'message={e.get_error_msg()!r}, request_id={e.get_request_id()!r})')
    if isinstance(e, ClientException):
        return f'ClientException(code={e.get_error_code()!r}, message={e.get_error_msg()!r})'
    return repr(e)


def main():
    R = Reporter(describe)
    api = Api(make_client())
    sfx = rand_suffix()
    flow = f'sdk_core_hold_{sfx}'
    definition = hold_definition(flow)
    desc = 'SDK conformance flow (core)'
    exec_name = f'run1_{sfx}'
    st = {}

    with R.check('CreateFlow (new-style FDL, Type FDL, no RoleArn)') as c:
        b = api.create_flow(flow, definition, desc)
        st['flow'] = flow
        c.eq(b.get('Name'), flow, 'Name')
        c.eq(b.get('Type'), 'FDL', 'Type')
        c.eq(b.get('Definition'), definition, 'Definition')
        c.eq(b.get('Description'), desc, 'Description')
        c.true(isinstance(b.get('Id'), str) and b.get('Id'), f'Id: expected non-empty string, got {b.get("Id")!r}')
        c.time(b.get('CreatedTime'), 'CreatedTime')
        c.time(b.get('LastModifiedTime'), 'LastModifiedTime')
        c.true(b.get('RequestId'), 'RequestId missing')
        c.absent(b, 'RoleArn', 'CreateFlow body')
        st['flow_id'] = b.get('Id')

    with R.check('DescribeFlow returns the submitted flow') as c:
        need(flow=st.get('flow'))
        b = api.describe_flow(flow)
        c.eq(b.get('Name'), flow, 'Name')
        c.eq(b.get('Definition'), definition, 'Definition')
        c.eq(b.get('Description'), desc, 'Description')
        c.eq(b.get('Type'), 'FDL', 'Type')
        c.true(isinstance(b.get('Id'), str) and b.get('Id'), f'Id: expected non-empty string, got {b.get("Id")!r}')
        if st.get('flow_id'):
            c.eq(b.get('Id'), st['flow_id'], 'Id (same as CreateFlow)')
        c.time(b.get('CreatedTime'), 'CreatedTime')
        c.time(b.get('LastModifiedTime'), 'LastModifiedTime')
        c.true(b.get('ExecutionMode') in ('Standard', ''),
               f'ExecutionMode: expected "Standard" (or "" = Standard), got {b.get("ExecutionMode")!r}')
        c.true(b.get('RequestId'), 'RequestId missing')

    with R.check('StartExecution with Input and ExecutionName') as c:
        need(flow=st.get('flow'))
        b = api.start_execution(flow, exec_name, INPUT)
        st['exec'] = exec_name
        c.eq(b.get('Name'), exec_name, 'Name')
        c.eq(b.get('FlowName'), flow, 'FlowName')
        c.true(b.get('Status') in ('Running', 'Starting'), f'Status: expected Running or Starting, got {b.get("Status")!r}')
        c.time(b.get('StartedTime'), 'StartedTime')
        c.true(b.get('RequestId'), 'RequestId missing')
        st['started'] = b.get('StartedTime')

    with R.check('DescribeExecution of the running execution') as c:
        need(execution=st.get('exec'))
        b = api.describe_execution(flow, exec_name)
        c.eq(b.get('Name'), exec_name, 'Name')
        c.eq(b.get('FlowName'), flow, 'FlowName')
        c.true(b.get('Status') in ('Running', 'Starting'), f'Status: expected Running or Starting, got {b.get("Status")!r}')
        c.time(b.get('StartedTime'), 'StartedTime')
        if st.get('started'):
            c.eq(b.get('StartedTime'), st['started'], 'StartedTime (same as StartExecution)')
        c.eq(b.get('FlowDefinition'), definition, 'FlowDefinition')
        c.eq(b.get('Input'), INPUT, 'Input')
        c.absent(b, 'StoppedTime', 'DescribeExecution body')
        c.absent(b, 'RoleArn', 'DescribeExecution body')

    with R.check('StopExecution with Error and Cause') as c:
        need(execution=st.get('exec'))
        b = api.stop_execution(flow, exec_name, STOP_ERROR, STOP_CAUSE)
        st['stopped'] = True
        c.eq(b.get('Status'), 'Stopped', 'Status')
        c.time(b.get('StoppedTime'), 'StoppedTime')
        c.eq(b.get('Name'), exec_name, 'Name')
        c.eq(b.get('FlowName'), flow, 'FlowName')
        c.eq(b.get('Input'), INPUT, 'Input')
        c.time(b.get('StartedTime'), 'StartedTime')
        if st.get('started'):
            c.eq(b.get('StartedTime'), st['started'], 'StartedTime (same as StartExecution)')
        if isinstance(b.get('StartedTime'), str) and isinstance(b.get('StoppedTime'), str):
            c.true(b['StoppedTime'] >= b['StartedTime'], f'StoppedTime {b["StoppedTime"]} < StartedTime {b["StartedTime"]}')
        c.absent(b, 'RoleArn', 'StopExecution body')
        c.true(b.get('RequestId'), 'RequestId missing')
        st['stopped_time'] = b.get('StoppedTime')

    with R.check('DescribeExecution after stop shows Stopped') as c:
        need(stopped=st.get('stopped'))
        b = api.describe_execution(flow, exec_name)
        c.eq(b.get('Status'), 'Stopped', 'Status')
        c.time(b.get('StoppedTime'), 'StoppedTime')
        if st.get('stopped_time'):
            c.eq(b.get('StoppedTime'), st['stopped_time'], 'StoppedTime (same as StopExecution)')
        c.eq(b.get('Input'), INPUT, 'Input')
        c.eq(b.get('FlowDefinition'), definition, 'FlowDefinition')

    with R.check('StopExecution on a stopped execution -> ExecutionAlreadyCompleted 400') as c:
        need(stopped=st.get('stopped'))
        info = expect_error(c, lambda: api.stop_execution(flow, exec_name, STOP_ERROR, STOP_CAUSE),
                            extract, 'ExecutionAlreadyCompleted', 400, 'StopExecution')
        if info:
            c.eq(info['message'], f"Execution '{exec_name}' for flow '{flow}' has already completed.", 'Message')
            c.true(info['raw'].get('RequestId'), 'RequestId missing in error body')

    with R.check('GetExecutionHistory of the stopped execution') as c:
        need(stopped=st.get('stopped'))
        events, token, pages = [], None, 0
        while True:
            b = api.get_execution_history(flow, exec_name, token)
            events.extend(b.get('Events') or [])
            token = b.get('NextToken')
            pages += 1
            if not token or pages >= 20:
                break
        check_history(c, events, 'ExecutionStopped', {'Error': STOP_ERROR, 'Cause': STOP_CAUSE})
        if c.errors:
            c.fail('events=' + one_line(json.dumps(events), 800))

    with R.check('StartExecution reusing the name of an ended execution -> ExecutionAlreadyExists 400') as c:
        need(stopped=st.get('stopped'))
        st['dup_exec'] = expect_error(c, lambda: api.start_execution(flow, exec_name, INPUT),
                                      extract, 'ExecutionAlreadyExists', 400, 'StartExecution')
    with R.check('ExecutionAlreadyExists message') as c:
        need(error=st.get('dup_exec'))
        c.eq(st['dup_exec']['message'], f'Execution {exec_name} for flow {flow} already exists.', 'Message')

    with R.check('StopExecution of an unknown execution -> ExecutionNotExists 404') as c:
        need(flow=st.get('flow'))
        st['nx_exec'] = expect_error(c, lambda: api.stop_execution(flow, f'nosuch_{sfx}'),
                                     extract, 'ExecutionNotExists', 404, 'StopExecution')
    with R.check('ExecutionNotExists message') as c:
        need(error=st.get('nx_exec'))
        c.eq(st['nx_exec']['message'], f'Execution nosuch_{sfx} for flow {flow} does not exist.', 'Message')

    with R.check('DescribeFlow of an unknown flow -> FlowNotExists 404') as c:
        st['nx_flow'] = expect_error(c, lambda: api.describe_flow(f'nosuch_flow_{sfx}'),
                                     extract, 'FlowNotExists', 404, 'DescribeFlow')
    with R.check('FlowNotExists message') as c:
        need(error=st.get('nx_flow'))
        c.true(st['nx_flow']['message'] in (f'Flow nosuch_flow_{sfx} does not exist.',
                                            f'Flow  nosuch_flow_{sfx} does not exist.'),
               f'Message: got {st["nx_flow"]["message"]!r}')

    exec2 = f'run2_{sfx}'
    with R.check('StopExecution with a 129-char Error -> InvalidArgument 400') as c:
        need(flow=st.get('flow'))
        b = api.start_execution(flow, exec2, INPUT)
        c.true(b.get('Status') in ('Running', 'Starting'), f'StartExecution {exec2}: status {b.get("Status")!r}')
        st['exec2'] = exec2
        expect_error(c, lambda: api.stop_execution(flow, exec2, 'E' * 129, STOP_CAUSE),
                     extract, 'InvalidArgument', 400, 'StopExecution')
    with R.check('execution still running after the rejected StopExecution') as c:
        need(execution=st.get('exec2'))
        b = api.describe_execution(flow, exec2)
        c.true(b.get('Status') in ('Running', 'Starting'), f'Status: expected Running or Starting, got {b.get("Status")!r}')
    with R.check('StopExecution with a 128-char Error is accepted') as c:
        need(execution=st.get('exec2'))
        b = api.stop_execution(flow, exec2, 'E' * 128, STOP_CAUSE)
        c.eq(b.get('Status'), 'Stopped', 'Status')

    with R.check('wrong AccessKeySecret -> SignatureNotMatch 403') as c:
        bad = Api(make_client(AK, SK + 'x'))
        expect_error(c, lambda: bad.describe_flow(flow), extract, 'SignatureNotMatch', 403, 'DescribeFlow')
    with R.check('unknown AccessKeyId -> InvalidAccessKeyID 403') as c:
        bad = Api(make_client('unknownKeyId' + sfx, SK))
        expect_error(c, lambda: bad.describe_flow(flow), extract, 'InvalidAccessKeyID', 403, 'DescribeFlow')

    with R.check('CreateFlow with an existing name -> FlowAlreadyExists 409') as c:
        need(flow=st.get('flow'))
        st['dup_flow'] = expect_error(c, lambda: api.create_flow(flow, definition, desc),
                                      extract, 'FlowAlreadyExists', 409, 'CreateFlow')
    with R.check('FlowAlreadyExists message') as c:
        need(error=st.get('dup_flow'))
        c.eq(st['dup_flow']['message'], f'Flow {flow} already exists.', 'Message')
    bad_flow = f'sdk_core_bad_{sfx}'
    with R.check('CreateFlow with an invalid definition (StartAt names a missing state) -> InvalidArgument 400') as c:
        expect_error(c, lambda: api.create_flow(bad_flow, bad_definition(bad_flow), desc),
                     extract, 'InvalidArgument', 400, 'CreateFlow')
    with R.check('rejected flow was not created') as c:
        expect_error(c, lambda: api.describe_flow(bad_flow), extract, 'FlowNotExists', 404, 'DescribeFlow')

    pflow = f'sdk_core_pass_{sfx}'
    pexec = f'runp_{sfx}'
    with R.check('Pass -> Succeed flow: CreateFlow + StartExecution') as c:
        api.create_flow(pflow, pass_definition(pflow), desc)
        b = api.start_execution(pflow, pexec, INPUT)
        c.eq(b.get('Name'), pexec, 'Name')
        st['pexec'] = pexec
    with R.check('Pass -> Succeed execution reaches Succeeded within 5 s with a JSON-object Output') as c:
        need(execution=st.get('pexec'))
        deadline = time.time() + 5
        while True:
            b = api.describe_execution(pflow, pexec)
            if b.get('Status') not in ('Starting', 'Running') or time.time() > deadline:
                break
            time.sleep(0.1)
        c.eq(b.get('Status'), 'Succeeded', 'Status')
        if b.get('Status') == 'Succeeded':
            st['psucceeded'] = True
            c.json_object_string(b.get('Output'), 'Output')
            c.time(b.get('StoppedTime'), 'StoppedTime')
    with R.check('GetExecutionHistory of the succeeded execution ends with ExecutionSucceeded') as c:
        need(succeeded=st.get('psucceeded'))
        events = api.get_execution_history(pflow, pexec).get('Events') or []
        check_history(c, events, 'ExecutionSucceeded')
        if c.errors:
            c.fail('events=' + one_line(json.dumps(events), 800))

    # Callback tasks (WaitForCustomCallback + ReportTaskSucceeded/ReportTaskFailed).
    callback_checks(R, api, extract, sfx, 'core')

    # UpdateFlow, DeleteFlow, ListFlows, ListExecutions, StartSyncExecution (no DescribeRegions in this SDK).
    more_actions_checks(R, api, extract, sfx, 'core', sync=True, regions=False)

    # Schedules (the five schedule actions of this SDK); last, because firing moves the emulated clock.
    # No versions, aliases, MapRun actions or ListExecutions MapRunName/Qualifier in this SDK.
    schedule_checks(R, api, extract, sfx, 'core')

    return R.finish()


if __name__ == '__main__':
    run_main(main)
