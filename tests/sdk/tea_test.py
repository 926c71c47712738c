#!/usr/bin/env python3
"""Conformance suite: the official Tea SDK (PyPI alibabacloud-fnf20190315 2.x) against the emulator.

Env: CLOUDFLOW_ENDPOINT (host:port), CLOUDFLOW_AK, CLOUDFLOW_SK.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sdkcheck import (AK, ENDPOINT, INPUT, SK, STOP_CAUSE, STOP_ERROR, Reporter,  # noqa: E402
                      bad_definition, callback_checks, check_exec_item, check_history, expect_error,
                      express_definition, hold_definition, more_actions_checks, need, one_line, page_all,
                      pass_definition, rand_suffix, run_main, schedule_checks, wait_until_done)

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
                        metadata_only=None, qualifier=None, map_run_name=None):
        return self._body(self.cli.list_executions(m.ListExecutionsRequest(
            flow_name=flow, limit=limit, next_token=next_token, status=status, execution_name_prefix=prefix,
            started_time_begin=begin, started_time_end=end, metadata_only=metadata_only, qualifier=qualifier,
            map_run_name=map_run_name)))

    def start_sync_execution(self, flow, name=None, input_=None):
        return self._body(self.cli.start_sync_execution(m.StartSyncExecutionRequest(
            flow_name=flow, execution_name=name, input=input_)))

    def describe_regions(self, accept_language=None):
        return self._body(self.cli.describe_regions(m.DescribeRegionsRequest(accept_language=accept_language)))

    # ---- schedules
    def create_schedule(self, flow, name, cron, payload=None, enable=None, description=None):
        return self._body(self.cli.create_schedule(m.CreateScheduleRequest(
            flow_name=flow, schedule_name=name, cron_expression=cron, payload=payload, enable=enable,
            description=description)))

    def describe_schedule(self, flow, name):
        return self._body(self.cli.describe_schedule(m.DescribeScheduleRequest(flow_name=flow, schedule_name=name)))

    def update_schedule(self, flow, name, cron=None, payload=None, enable=None, description=None):
        return self._body(self.cli.update_schedule(m.UpdateScheduleRequest(
            flow_name=flow, schedule_name=name, cron_expression=cron, payload=payload, enable=enable,
            description=description)))

    def delete_schedule(self, flow, name):
        return self._body(self.cli.delete_schedule(m.DeleteScheduleRequest(flow_name=flow, schedule_name=name)))

    def list_schedules(self, flow, limit=None, next_token=None):
        return self._body(self.cli.list_schedules(m.ListSchedulesRequest(
            flow_name=flow, limit=limit, next_token=next_token)))

    # ---- versions and aliases (Tea only)
    def describe_flow_version(self, name, version):
        return self._body(self.cli.describe_flow(m.DescribeFlowRequest(name=name, flow_version=version)))

    def publish_flow_version(self, flow, description=None):
        return self._body(self.cli.publish_flow_version(m.PublishFlowVersionRequest(
            flow_name=flow, description=description)))

    def list_flow_versions(self, flow, limit=None, next_token=None):
        return self._body(self.cli.list_flow_versions(m.ListFlowVersionsRequest(
            flow_name=flow, limit=limit, next_token=next_token)))

    def delete_flow_version(self, flow, version):
        return self._body(self.cli.delete_flow_version(m.DeleteFlowVersionRequest(
            flow_name=flow, flow_version=version)))

    def start_qualified(self, flow, name, input_, qualifier):
        return self._body(self.cli.start_execution(m.StartExecutionRequest(
            flow_name=flow, execution_name=name, input=input_, qualifier=qualifier)))

    def start_sync_qualified(self, flow, name, input_, qualifier):
        return self._body(self.cli.start_sync_execution(m.StartSyncExecutionRequest(
            flow_name=flow, execution_name=name, input=input_, qualifier=qualifier)))

    def create_flow_alias(self, flow, name, routes, description=None):
        """routes: [(version, weight)]; the SDK shrinks RoutingConfigurations to a JSON string itself."""
        rc = None if routes is None else [m.CreateFlowAliasRequestRoutingConfigurations(version=v, weight=w)
                                          for v, w in routes]
        return self._body(self.cli.create_flow_alias(m.CreateFlowAliasRequest(
            flow_name=flow, name=name, routing_configurations=rc, description=description)))

    def describe_flow_alias(self, flow, name):
        return self._body(self.cli.describe_flow_alias(m.DescribeFlowAliasRequest(flow_name=flow, name=name)))

    def update_flow_alias(self, flow, name, routes=None, description=None):
        rc = None if routes is None else [m.UpdateFlowAliasRequestRoutingConfigurations(version=v, weight=w)
                                          for v, w in routes]
        return self._body(self.cli.update_flow_alias(m.UpdateFlowAliasRequest(
            flow_name=flow, name=name, routing_configurations=rc, description=description)))

    def list_flow_aliases(self, flow, limit=None, next_token=None):
        return self._body(self.cli.list_flow_aliases(m.ListFlowAliasesRequest(
            flow_name=flow, limit=limit, next_token=next_token)))

    def delete_flow_alias(self, flow, name):
        return self._body(self.cli.delete_flow_alias(m.DeleteFlowAliasRequest(flow_name=flow, name=name)))

    # ---- distributed Map
    def describe_map_run(self, flow, execution, map_run):
        return self._body(self.cli.describe_map_run(m.DescribeMapRunRequest(
            flow_name=flow, execution_name=execution, map_run_name=map_run)))

    def update_map_run(self, flow, execution, map_run, concurrency=None):
        return self._body(self.cli.update_map_run(m.UpdateMapRunRequest(
            flow_name=flow, execution_name=execution, map_run_name=map_run, concurrency=concurrency)))


# ---------------------------------------------------------------- versions and aliases (Tea only)
# README "Behaviour where the reference is silent": "Versions and aliases"; api.md 6 "Versions and aliases".

def version_alias_checks(R, api, sfx):
    st = {}
    vflow = f'sdk_tea_ver_{sfx}'
    def1 = pass_definition(vflow)       # output = input
    def2 = express_definition(vflow)    # output = {"got": $Input.key}
    out1 = json.loads(INPUT)
    out2 = {'got': 'value'}
    ran = {}  # execution name -> version number it ran ('1' / '2')
    via_alias = []  # executions started with Qualifier prod

    def check_version_item(c, v, what):
        c.true(isinstance(v.get('Version'), str) and v.get('Version'),
               f'{what}.Version: expected a non-empty string, got {v.get("Version")!r}')
        c.time(v.get('CreatedTime'), f'{what}.CreatedTime')
        if v.get('Description') is not None:
            c.true(isinstance(v.get('Description'), str), f'{what}.Description: expected a string')

    def check_routes(c, routes, expected, what, weight_str_ok=False):
        if not c.true(isinstance(routes, list), f'{what}: expected a list, got {routes!r}'):
            return
        got = []
        for i, r in enumerate(routes):
            w = r.get('Weight')
            if weight_str_ok and isinstance(w, str) and w.isdigit():
                w = int(w)  # ListFlowAliases types Weight as a string in TEA (api.md)
            else:
                c.int_(w, f'{what}[{i}].Weight')
            c.true(isinstance(r.get('Version'), str), f'{what}[{i}].Version: expected a string, got {r.get("Version")!r}')
            got.append({'Version': r.get('Version'), 'Weight': w})
        c.eq(got, [{'Version': v, 'Weight': w} for v, w in expected], what)

    def check_alias(c, a, name, description, routes, what, weight_str_ok=False):
        if not c.true(isinstance(a, dict), f'{what}: expected an object, got {a!r}'):
            return
        c.eq(a.get('Name'), name, f'{what}.Name')
        c.eq(a.get('Description'), description, f'{what}.Description')
        c.time(a.get('CreatedTime'), f'{what}.CreatedTime')
        check_routes(c, a.get('RoutingConfigurations'), routes, f'{what}.RoutingConfigurations', weight_str_ok)

    def start_q(c, name, qualifier, expect_version=None):
        b = api.start_qualified(vflow, name, INPUT, qualifier)
        c.eq(b.get('Name'), name, f'StartExecution({qualifier}).Name')
        d = wait_until_done(api, vflow, name)
        c.eq(d.get('Status'), 'Succeeded', f'{name}.Status')
        version = {def1: '1', def2: '2'}.get(d.get('FlowDefinition'))
        c.true(version is not None, f'{name}.FlowDefinition is neither version 1 nor 2: {d.get("FlowDefinition")!r}')
        c.eq(b.get('FlowDefinition'), d.get('FlowDefinition'), f'StartExecution({qualifier}).FlowDefinition')
        if version is not None:
            ran[name] = version
            c.eq(json.loads(d.get('Output') or 'null'), out1 if version == '1' else out2, f'{name}.Output')
        if expect_version is not None:
            c.eq(version, expect_version, f'version run by Qualifier {qualifier}')
        return version

    with R.check('PublishFlowVersion: Version "1" (string), FlowName, Description, CreatedTime') as c:
        api.create_flow(vflow, def1, 'first')
        b = api.publish_flow_version(vflow, 'v1')
        c.eq(b.get('Version'), '1', 'Version')
        c.eq(b.get('FlowName'), vflow, 'FlowName')
        c.eq(b.get('Description'), 'v1', 'Description')
        c.time(b.get('CreatedTime'), 'CreatedTime')
        c.true(b.get('RequestId'), 'RequestId missing')
        st['v1'] = b
    with R.check('UpdateFlow + PublishFlowVersion -> Version "2"; UpdateFlow again does not touch it') as c:
        need(v1=st.get('v1'))
        api.update_flow(vflow, definition=def2, description='second')
        b = api.publish_flow_version(vflow, 'v2')
        c.eq(b.get('Version'), '2', 'Version')
        c.eq(b.get('Description'), 'v2', 'Description')
        api.update_flow(vflow, description='third')
        st['v2'] = b
    with R.check('ListFlowVersions: newest first, all fields, no NextToken') as c:
        need(v2=st.get('v2'))
        b = api.list_flow_versions(vflow)
        vs = b.get('FlowVersions') or []
        c.eq([v.get('Version') for v in vs], ['2', '1'], 'Versions')
        for v in vs:
            check_version_item(c, v, f'FlowVersions[{v.get("Version")}]')
        if len(vs) == 2:
            c.eq(vs[1].get('Description'), 'v1', 'FlowVersions[1].Description')
            c.eq(vs[1].get('CreatedTime'), st['v1'].get('CreatedTime'), 'FlowVersions[1].CreatedTime (same as publish)')
        c.absent(b, 'NextToken', 'ListFlowVersions body')
        c.true(b.get('RequestId'), 'RequestId missing')
    with R.check('ListFlowVersions paged with Limit "1" until NextToken is absent') as c:
        need(v2=st.get('v2'))
        _, pages = page_all(c, lambda t: api.list_flow_versions(vflow, limit='1', next_token=t), 'FlowVersions', 1,
                            name_key='Version')
        c.eq(pages, [['2'], ['1']], 'pages')
    with R.check('DescribeFlow with FlowVersion answers that version\'s snapshot; without it the current flow') as c:
        need(v2=st.get('v2'))
        b = api.describe_flow_version(vflow, '1')
        c.eq(b.get('Name'), vflow, 'FlowVersion 1: Name')
        c.eq(b.get('Definition'), def1, 'FlowVersion 1: Definition')
        c.eq(b.get('Description'), 'first', 'FlowVersion 1: Description')
        c.time(b.get('CreatedTime'), 'FlowVersion 1: CreatedTime')
        b = api.describe_flow_version(vflow, '2')
        c.eq(b.get('Definition'), def2, 'FlowVersion 2: Definition')
        c.eq(b.get('Description'), 'second', 'FlowVersion 2: Description')
        b = api.describe_flow(vflow)
        c.eq(b.get('Definition'), def2, 'current: Definition')
        c.eq(b.get('Description'), 'third', 'current: Description')
    with R.check('DescribeFlow with an unknown FlowVersion -> FlowVersionNotExists 404') as c:
        need(v2=st.get('v2'))
        expect_error(c, lambda: api.describe_flow_version(vflow, '9'), extract, 'FlowVersionNotExists', 404,
                     'DescribeFlow')
    with R.check('StartExecution with Qualifier "1" / "2" runs that version') as c:
        need(v2=st.get('v2'))
        start_q(c, 'q1', '1', '1')
        start_q(c, 'q2', '2', '2')
        st['q'] = True
    with R.check('StartExecution with an unknown Qualifier -> FlowVersionNotExists / FlowAliasNotExists 404') as c:
        need(v2=st.get('v2'))
        expect_error(c, lambda: api.start_qualified(vflow, 'qx', INPUT, '9'), extract, 'FlowVersionNotExists', 404,
                     'StartExecution(Qualifier 9)')
        expect_error(c, lambda: api.start_qualified(vflow, 'qy', INPUT, 'nosuch_alias'), extract,
                     'FlowAliasNotExists', 404, 'StartExecution(Qualifier nosuch_alias)')

    with R.check('CreateFlowAlias (RoutingConfigurations [{"Version":"1","Weight":100}]): answer fields') as c:
        need(v2=st.get('v2'))
        b = api.create_flow_alias(vflow, 'prod', [('1', 100)], description='production')
        check_alias(c, b, 'prod', 'production', [('1', 100)], 'CreateFlowAlias')
        c.eq(b.get('FlowName'), vflow, 'FlowName')
        c.true(b.get('RequestId'), 'RequestId missing')
        st['alias'] = b
    with R.check('DescribeFlowAlias returns the alias') as c:
        need(alias=st.get('alias'))
        b = api.describe_flow_alias(vflow, 'prod')
        check_alias(c, b.get('Alias'), 'prod', 'production', [('1', 100)], 'Alias')
        c.eq((b.get('Alias') or {}).get('CreatedTime'), st['alias'].get('CreatedTime'), 'Alias.CreatedTime (same as create)')
        c.true(b.get('RequestId'), 'RequestId missing')
    with R.check('CreateFlowAlias with an existing name -> FlowAliasAlreadyExists 409') as c:
        need(alias=st.get('alias'))
        expect_error(c, lambda: api.create_flow_alias(vflow, 'prod', [('2', 100)]), extract,
                     'FlowAliasAlreadyExists', 409, 'CreateFlowAlias')
        b = api.describe_flow_alias(vflow, 'prod')
        check_alias(c, b.get('Alias'), 'prod', 'production', [('1', 100)], 'Alias (unchanged)')
    bad_routes = {
        'weights adding up to 50': [('1', 50)],
        'weights adding up to 120': [('1', 60), ('2', 60)],
        'a negative weight': [('1', 150), ('2', -50)],
        'three versions': [('1', 40), ('2', 30), ('1', 30)],
        'no versions': [],
    }
    for what, routes in bad_routes.items():
        with R.check(f'CreateFlowAlias with {what} -> InvalidArgument 400, alias not created') as c:
            need(v2=st.get('v2'))
            expect_error(c, lambda: api.create_flow_alias(vflow, 'badalias', routes), extract, 'InvalidArgument', 400,
                         'CreateFlowAlias')
            expect_error(c, lambda: api.describe_flow_alias(vflow, 'badalias'), extract, 'FlowAliasNotExists', 404,
                         'DescribeFlowAlias')
    with R.check('CreateFlowAlias routing to a version that does not exist -> FlowVersionNotExists 404') as c:
        need(v2=st.get('v2'))
        expect_error(c, lambda: api.create_flow_alias(vflow, 'badalias', [('7', 100)]), extract,
                     'FlowVersionNotExists', 404, 'CreateFlowAlias')
    with R.check('StartExecution with an alias Qualifier runs the version it routes to') as c:
        need(alias=st.get('alias'))
        start_q(c, 'a1', 'prod', '1')
        via_alias.append('a1')
    with R.check('UpdateFlowAlias with only Description: RoutingConfigurations unchanged') as c:
        need(alias=st.get('alias'))
        b = api.update_flow_alias(vflow, 'prod', description='prod v2')
        check_alias(c, b.get('Alias'), 'prod', 'prod v2', [('1', 100)], 'UpdateFlowAlias.Alias')
        c.eq((b.get('Alias') or {}).get('CreatedTime'), st['alias'].get('CreatedTime'), 'Alias.CreatedTime (unchanged)')
        c.true(b.get('RequestId'), 'RequestId missing')
    with R.check('UpdateFlowAlias RoutingConfigurations [{"Version":"2","Weight":100}]: starts run version 2') as c:
        need(alias=st.get('alias'))
        b = api.update_flow_alias(vflow, 'prod', routes=[('2', 100)])
        check_alias(c, b.get('Alias'), 'prod', 'prod v2', [('2', 100)], 'UpdateFlowAlias.Alias')
        d = api.describe_flow_alias(vflow, 'prod')
        check_alias(c, d.get('Alias'), 'prod', 'prod v2', [('2', 100)], 'DescribeFlowAlias.Alias')
        start_q(c, 'a2', 'prod', '2')
        via_alias.append('a2')
    with R.check('UpdateFlowAlias with two versions 50/50: each start runs one of them') as c:
        need(alias=st.get('alias'))
        b = api.update_flow_alias(vflow, 'prod', routes=[('1', 50), ('2', 50)])
        check_alias(c, b.get('Alias'), 'prod', 'prod v2', [('1', 50), ('2', 50)], 'UpdateFlowAlias.Alias')
        for i in range(6):
            start_q(c, f'ab{i}', 'prod')
            via_alias.append(f'ab{i}')
        st['split'] = True
    with R.check('UpdateFlowAlias with bad RoutingConfigurations -> InvalidArgument 400, nothing changed') as c:
        need(split=st.get('split'))
        expect_error(c, lambda: api.update_flow_alias(vflow, 'prod', routes=[('1', 10)], description='x'), extract,
                     'InvalidArgument', 400, 'UpdateFlowAlias')
        d = api.describe_flow_alias(vflow, 'prod')
        check_alias(c, d.get('Alias'), 'prod', 'prod v2', [('1', 50), ('2', 50)], 'DescribeFlowAlias.Alias')
    with R.check('ListFlowAliases: by name, all fields, no NextToken; paged with Limit 1') as c:
        need(alias=st.get('alias'))
        api.create_flow_alias(vflow, 'beta', [('1', 100)])
        b = api.list_flow_aliases(vflow)
        aliases = b.get('Aliases') or []
        c.eq([a.get('Name') for a in aliases], ['beta', 'prod'], 'Names')
        if len(aliases) == 2:
            check_alias(c, aliases[0], 'beta', aliases[0].get('Description'), [('1', 100)], 'Aliases[beta]', True)
            check_alias(c, aliases[1], 'prod', 'prod v2', [('1', 50), ('2', 50)], 'Aliases[prod]', True)
        c.absent(b, 'NextToken', 'ListFlowAliases body')
        c.true(b.get('RequestId'), 'RequestId missing')
        # README documents no NextToken format for ListFlowAliases: treat it as opaque.
        _, pages = page_all(c, lambda t: api.list_flow_aliases(vflow, limit=1, next_token=t), 'Aliases', 1,
                            token_is_name=False)
        c.eq(pages, [['beta'], ['prod']], 'pages')
    with R.check('ListExecutions with Qualifier: a version lists what ran it, an alias what started through it') as c:
        need(q=st.get('q'), split=st.get('split'))

        def listed(q):
            b = api.list_executions(vflow, qualifier=q, limit=100)
            for e in b.get('Executions') or []:
                check_exec_item(c, e, f'Qualifier {q}: Executions[{e.get("Name")}]')
            return sorted(e.get('Name') for e in b.get('Executions') or [])
        c.eq(listed('1'), sorted(n for n, v in ran.items() if v == '1'), 'Qualifier 1')
        c.eq(listed('2'), sorted(n for n, v in ran.items() if v == '2'), 'Qualifier 2')
        c.eq(listed('prod'), sorted(via_alias), 'Qualifier prod')
        c.eq(listed('beta'), [], 'Qualifier beta (nothing started through it)')
        c.eq(sorted(e.get('Name') for e in api.list_executions(vflow, limit=100).get('Executions') or []),
             sorted(ran), 'without Qualifier: every execution')
    with R.check('DeleteFlowVersion of a version an alias routes to -> InvalidArgument 400') as c:
        need(split=st.get('split'))
        expect_error(c, lambda: api.delete_flow_version(vflow, '2'), extract, 'InvalidArgument', 400,
                     'DeleteFlowVersion')
        c.eq([v.get('Version') for v in api.list_flow_versions(vflow).get('FlowVersions') or []], ['2', '1'],
             'ListFlowVersions (nothing deleted)')
    with R.check('DeleteFlowAlias -> 200; the alias is gone (Describe/Update/Delete/StartExecution -> FlowAliasNotExists 404)') as c:
        need(alias=st.get('alias'))
        b = api.delete_flow_alias(vflow, 'prod')
        c.true(b.get('RequestId'), f'RequestId missing in {b!r}')
        expect_error(c, lambda: api.describe_flow_alias(vflow, 'prod'), extract, 'FlowAliasNotExists', 404,
                     'DescribeFlowAlias')
        expect_error(c, lambda: api.update_flow_alias(vflow, 'prod', description='x'), extract, 'FlowAliasNotExists',
                     404, 'UpdateFlowAlias')
        expect_error(c, lambda: api.delete_flow_alias(vflow, 'prod'), extract, 'FlowAliasNotExists', 404,
                     'DeleteFlowAlias (again)')
        expect_error(c, lambda: api.start_qualified(vflow, 'gone', INPUT, 'prod'), extract, 'FlowAliasNotExists', 404,
                     'StartExecution(Qualifier prod)')
        c.eq([a.get('Name') for a in api.list_flow_aliases(vflow).get('Aliases') or []], ['beta'], 'ListFlowAliases')
        st['alias_deleted'] = True
    with R.check('DeleteFlowVersion -> 200; the version is gone (FlowVersionNotExists 404 afterwards)') as c:
        need(deleted=st.get('alias_deleted'))
        b = api.delete_flow_version(vflow, '2')
        c.true(b.get('RequestId'), f'RequestId missing in {b!r}')
        c.eq([v.get('Version') for v in api.list_flow_versions(vflow).get('FlowVersions') or []], ['1'],
             'ListFlowVersions')
        expect_error(c, lambda: api.describe_flow_version(vflow, '2'), extract, 'FlowVersionNotExists', 404,
                     'DescribeFlow(FlowVersion 2)')
        expect_error(c, lambda: api.start_qualified(vflow, 'gone2', INPUT, '2'), extract, 'FlowVersionNotExists', 404,
                     'StartExecution(Qualifier 2)')
        expect_error(c, lambda: api.delete_flow_version(vflow, '2'), extract, 'FlowVersionNotExists', 404,
                     'DeleteFlowVersion (again)')
        st['v_deleted'] = True
    with R.check('PublishFlowVersion after a delete: numbers are not reused (Version "3")') as c:
        need(deleted=st.get('v_deleted'))
        b = api.publish_flow_version(vflow)
        c.eq(b.get('Version'), '3', 'Version')
        c.eq([v.get('Version') for v in api.list_flow_versions(vflow).get('FlowVersions') or []], ['3', '1'],
             'ListFlowVersions')
    with R.check('version and alias actions on an unknown flow -> FlowNotExists 404') as c:
        nf = f'nosuch_flow_{sfx}'
        for what, fn in (('PublishFlowVersion', lambda: api.publish_flow_version(nf)),
                         ('ListFlowVersions', lambda: api.list_flow_versions(nf)),
                         ('DeleteFlowVersion', lambda: api.delete_flow_version(nf, '1')),
                         ('DescribeFlow(FlowVersion 1)', lambda: api.describe_flow_version(nf, '1')),
                         ('CreateFlowAlias', lambda: api.create_flow_alias(nf, 'a', [('1', 100)])),
                         ('DescribeFlowAlias', lambda: api.describe_flow_alias(nf, 'a')),
                         ('UpdateFlowAlias', lambda: api.update_flow_alias(nf, 'a', description='x')),
                         ('ListFlowAliases', lambda: api.list_flow_aliases(nf)),
                         ('DeleteFlowAlias', lambda: api.delete_flow_alias(nf, 'a'))):
            expect_error(c, fn, extract, 'FlowNotExists', 404, what)

    # StartSyncExecution with Qualifier needs an Express flow.
    xflow = f'sdk_tea_xver_{sfx}'
    xdef2 = (f'Type: StateMachine\nSpecVersion: v1\nName: {xflow}\nStartAt: Step1\nStates:\n'
             '  - Type: Pass\n    Name: Step1\n    OutputConstructor:\n      version: 2\n    End: true\n')
    with R.check('StartSyncExecution with Qualifier (a version number and an alias) on an Express flow') as c:
        api.create_flow(xflow, express_definition(xflow), 'express v1', execution_mode='Express')
        c.eq(api.publish_flow_version(xflow).get('Version'), '1', 'PublishFlowVersion(v1).Version')
        api.update_flow(xflow, definition=xdef2)
        c.eq(api.publish_flow_version(xflow).get('Version'), '2', 'PublishFlowVersion(v2).Version')
        api.create_flow_alias(xflow, 'live', [('1', 100)])
        for q, out in (('1', {'got': 'value'}), ('2', {'version': 2}), ('live', {'got': 'value'})):
            b = api.start_sync_qualified(xflow, f'sync_{q}', INPUT, q)
            c.eq(b.get('Status'), 'Succeeded', f'Qualifier {q}: Status')
            c.true(isinstance(b.get('Name'), str) and b['Name'].startswith(f'sync_{q}:'),
                   f'Qualifier {q}: Name: expected sync_{q}:{{UUID}}, got {b.get("Name")!r}')
            try:
                got = json.loads(b.get('Output') or 'null')
            except ValueError:
                got = b.get('Output')
            c.eq(got, out, f'Qualifier {q}: Output')
        listed = api.list_executions(xflow, qualifier='live').get('Executions') or []
        c.eq(len(listed), 1, f'ListExecutions Qualifier live: {[e.get("Name") for e in listed]}')
        expect_error(c, lambda: api.start_sync_qualified(xflow, 's', INPUT, '5'), extract, 'FlowVersionNotExists',
                     404, 'StartSyncExecution(Qualifier 5)')


# ---------------------------------------------------------------- distributed Map (Tea only)
# README "Distributed Map"; api.md DescribeMapRun / UpdateMapRun / ListExecutions.MapRunName.

def distributed_map_definition(name, max_concurrency, wait=False):
    """A Map in distributed mode (ProcessorConfig.ExecutionMode Standard) whose processor is one Pass
    (or, with wait, one 300 s Wait)."""
    step = ('        - Type: Wait\n          Name: Step\n          Seconds: 300\n          End: true\n' if wait else
            '        - Type: Pass\n          Name: Step\n          End: true\n')
    return (
        'Type: StateMachine\n'
        'SpecVersion: v1\n'
        f'Name: {name}\n'
        'StartAt: Fan\n'
        'States:\n'
        '  - Type: Map\n'
        '    Name: Fan\n'
        '    ItemsPath: $Input.items\n'
        f'    MaxConcurrency: {max_concurrency}\n'
        '    ProcessorConfig:\n'
        '      ExecutionMode: Standard\n'
        '    Processor:\n'
        '      StartAt: Step\n'
        '      States:\n'
        + step +
        '    End: true\n'
    )


def map_run_checks(R, api, sfx):
    st = {}
    flow = f'sdk_tea_dmap_{sfx}'
    definition = distributed_map_definition(flow, 2)
    items = [{'n': 1}, {'n': 2}, {'n': 3}]
    parent = 'parent1'

    with R.check('Distributed Map (ProcessorConfig.ExecutionMode Standard, MaxConcurrency 2): CreateFlow + StartExecution') as c:
        b = api.create_flow(flow, definition, 'distributed map')
        c.eq(b.get('Name'), flow, 'CreateFlow.Name')
        b = api.start_execution(flow, parent, json.dumps({'items': items}))
        c.eq(b.get('Name'), parent, 'StartExecution.Name')
        st['started'] = True
    with R.check('Distributed Map execution reaches Succeeded with Output {"Items": [...]} in item order') as c:
        need(started=st.get('started'))
        b = wait_until_done(api, flow, parent)
        c.eq(b.get('Status'), 'Succeeded', 'Status')
        out = c.json_object_string(b.get('Output'), 'Output')
        if out is not None:
            c.eq(out, {'Items': items}, 'Output')
        st['done'] = b.get('Status') == 'Succeeded' or None
    with R.check('GetExecutionHistory has MapRunStarted with EventDetail {"MapRunName": ...}') as c:
        need(done=st.get('done'))
        events = api.history(flow, parent)
        check_history(c, events, 'ExecutionSucceeded')
        runs = [e for e in events if e.get('Type') == 'MapRunStarted']
        if c.eq(len(runs), 1, f'number of MapRunStarted events ({[e.get("Type") for e in events]})'):
            detail = c.json_object_string(runs[0].get('EventDetail'), 'MapRunStarted.EventDetail')
            if detail is not None:
                name = detail.get('MapRunName')
                if c.true(isinstance(name, str) and name, f'MapRunStarted.EventDetail.MapRunName: got {detail!r}'):
                    st['run'] = name
    with R.check('DescribeMapRun: Status Succeeded, ItemCounts (integers), Concurrency 2, StartedTime/StoppedTime') as c:
        need(map_run=st.get('run'))
        b = api.describe_map_run(flow, parent, st['run'])
        c.eq(b.get('MapRunName'), st['run'], 'MapRunName')
        c.eq(b.get('ExecutionName'), parent, 'ExecutionName')
        c.eq(b.get('Status'), 'Succeeded', 'Status')
        counts = b.get('ItemCounts')
        if c.true(isinstance(counts, dict), f'ItemCounts: expected an object, got {counts!r}'):
            for k in ('Total', 'Succeed', 'Failed', 'Running', 'Pending', 'Aborted'):
                c.int_(counts.get(k), f'ItemCounts.{k}')
            c.eq(counts.get('Total'), 3, 'ItemCounts.Total')
            c.eq(counts.get('Succeed'), 3, 'ItemCounts.Succeed')
            for k in ('Failed', 'Running', 'Pending', 'Aborted'):
                c.eq(counts.get(k), 0, f'ItemCounts.{k}')
        c.int_(b.get('Concurrency'), 'Concurrency')
        c.eq(b.get('Concurrency'), 2, 'Concurrency (MaxConcurrency)')
        c.time(b.get('StartedTime'), 'StartedTime')
        c.time(b.get('StoppedTime'), 'StoppedTime')
        if isinstance(b.get('StartedTime'), str) and isinstance(b.get('StoppedTime'), str):
            c.true(b['StoppedTime'] >= b['StartedTime'], f'StoppedTime {b["StoppedTime"]} < StartedTime {b["StartedTime"]}')
        c.true(b.get('RequestId'), 'RequestId missing')
    with R.check('UpdateMapRun Concurrency 5: answer fields; DescribeMapRun shows the new Concurrency') as c:
        need(map_run=st.get('run'))
        b = api.update_map_run(flow, parent, st['run'], concurrency=5)
        c.eq(b.get('FlowName'), flow, 'FlowName')
        c.eq(b.get('ExecutionName'), parent, 'ExecutionName')
        c.eq(b.get('MapRunName'), st['run'], 'MapRunName')
        c.int_(b.get('Concurrency'), 'Concurrency')
        c.eq(b.get('Concurrency'), 5, 'Concurrency')
        c.true(b.get('RequestId'), 'RequestId missing')
        c.eq(api.describe_map_run(flow, parent, st['run']).get('Concurrency'), 5, 'DescribeMapRun.Concurrency')
    with R.check('ListExecutions with MapRunName lists the child executions {MapRunName}-{index}') as c:
        need(map_run=st.get('run'))
        b = api.list_executions(flow, map_run_name=st['run'], limit=100)
        execs = b.get('Executions') or []
        by_name = {e.get('Name'): e for e in execs}
        expected = [f'{st["run"]}-{i}' for i in range(len(items))]
        c.eq(sorted(by_name), sorted(expected), 'child names')
        for i, n in enumerate(expected):
            e = by_name.get(n)
            if e is None:
                continue
            check_exec_item(c, e, f'Executions[{n}]')
            c.eq(e.get('FlowName'), flow, f'Executions[{n}].FlowName')
            c.eq(e.get('Status'), 'Succeeded', f'Executions[{n}].Status')
            try:
                c.eq(json.loads(e.get('Input') or 'null'), items[i], f'Executions[{n}].Input')
            except ValueError:
                c.fail(f'Executions[{n}].Input: not JSON: {e.get("Input")!r}')
        c.absent(b, 'NextToken', 'ListExecutions body')
        plain = [e.get('Name') for e in api.list_executions(flow).get('Executions') or []]
        c.eq(plain, [parent], 'ListExecutions without MapRunName (children are not listed)')
    with R.check('DescribeMapRun / UpdateMapRun of an unknown map run -> MapRunNotExists 404') as c:
        need(done=st.get('done'))
        expect_error(c, lambda: api.describe_map_run(flow, parent, f'nosuch_{sfx}'), extract, 'MapRunNotExists', 404,
                     'DescribeMapRun')
        expect_error(c, lambda: api.update_map_run(flow, parent, f'nosuch_{sfx}', concurrency=3), extract,
                     'MapRunNotExists', 404, 'UpdateMapRun')

    # A running map run: MaxConcurrency 1, children wait 300 emulated seconds.
    wflow = f'sdk_tea_dmapw_{sfx}'
    wdef = distributed_map_definition(wflow, 1, wait=True)
    wparent = 'parent_wait'

    def counts_of(b):
        ic = b.get('ItemCounts') or {}
        return {k: ic.get(k) for k in ('Total', 'Pending', 'Running', 'Succeed', 'Failed', 'Aborted')}

    def wait_counts(run, pred, timeout=5.0):
        deadline = time.time() + timeout
        while True:
            b = api.describe_map_run(wflow, wparent, run)
            if pred(counts_of(b), b) or time.time() > deadline:
                return b
            time.sleep(0.05)

    def children(run):
        return {e.get('Name'): e.get('Status')
                for e in api.list_executions(wflow, map_run_name=run, limit=100).get('Executions') or []}

    with R.check('running map run (MaxConcurrency 1, Wait children): Status Running, Running 1 / Pending 2, no StoppedTime') as c:
        api.create_flow(wflow, wdef, 'distributed map, waiting children')
        api.start_execution(wflow, wparent, json.dumps({'items': items}))
        deadline = time.time() + 5
        run = None
        while run is None and time.time() < deadline:
            for e in api.history(wflow, wparent):
                if e.get('Type') == 'MapRunStarted':
                    run = (json.loads(e.get('EventDetail') or '{}') or {}).get('MapRunName')
            if run is None:
                time.sleep(0.05)
        need(map_run=run)
        b = wait_counts(run, lambda ic, _: ic['Running'] == 1)
        c.eq(b.get('Status'), 'Running', 'Status')
        c.eq(counts_of(b), {'Total': 3, 'Pending': 2, 'Running': 1, 'Succeed': 0, 'Failed': 0, 'Aborted': 0},
             'ItemCounts')
        c.eq(b.get('Concurrency'), 1, 'Concurrency')
        c.time(b.get('StartedTime'), 'StartedTime')
        c.absent(b, 'StoppedTime', 'DescribeMapRun body of a running map run')
        c.eq(children(run), {f'{run}-0': 'Running'}, 'ListExecutions MapRunName (children started so far)')
        st['wrun'] = run
    with R.check('UpdateMapRun Concurrency 3 on the running map run: both pending children start at once') as c:
        need(map_run=st.get('wrun'))
        run = st['wrun']
        b = api.update_map_run(wflow, wparent, run, concurrency=3)
        c.eq(b.get('Concurrency'), 3, 'UpdateMapRun.Concurrency')
        b = wait_counts(run, lambda ic, _: ic['Running'] == 3)
        c.eq(counts_of(b), {'Total': 3, 'Pending': 0, 'Running': 3, 'Succeed': 0, 'Failed': 0, 'Aborted': 0},
             'ItemCounts after UpdateMapRun')
        c.eq(b.get('Status'), 'Running', 'Status')
        c.eq(b.get('Concurrency'), 3, 'DescribeMapRun.Concurrency')
        c.eq(children(run), {f'{run}-0': 'Running', f'{run}-1': 'Running', f'{run}-2': 'Running'},
             'ListExecutions MapRunName')
        st['wupdated'] = True
    with R.check('StopExecution of the parent stops the children; the map run is Aborted with a StoppedTime') as c:
        need(map_run=st.get('wrun'), updated=st.get('wupdated'))
        run = st['wrun']
        c.eq(api.stop_execution(wflow, wparent, STOP_ERROR, STOP_CAUSE).get('Status'), 'Stopped', 'StopExecution.Status')
        b = wait_counts(run, lambda ic, b: b.get('Status') != 'Running')
        c.eq(b.get('Status'), 'Aborted', 'Status')
        c.time(b.get('StoppedTime'), 'StoppedTime')
        c.eq(counts_of(b), {'Total': 3, 'Pending': 0, 'Running': 0, 'Succeed': 0, 'Failed': 0, 'Aborted': 3},
             'ItemCounts')
        c.eq(children(run), {f'{run}-0': 'Stopped', f'{run}-1': 'Stopped', f'{run}-2': 'Stopped'},
             'ListExecutions MapRunName')

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

    # PublishFlowVersion, ListFlowVersions, DeleteFlowVersion, *FlowAlias, Qualifier, DescribeFlow FlowVersion.
    version_alias_checks(R, api, sfx)

    # Distributed Map: DescribeMapRun, UpdateMapRun, ListExecutions MapRunName.
    map_run_checks(R, api, sfx)

    # Schedules last: their firing check moves the emulated clock forward.
    schedule_checks(R, api, extract, sfx, 'tea')

    return R.finish()


if __name__ == '__main__':
    run_main(main)
