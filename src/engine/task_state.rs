//! The Task state: evaluate `Parameters`, pick the stand-in (mock, local function endpoint,
//! `HTTP:Request`), honour `TaskMode` and `Timeout`, and record the task events. Retry and Catch
//! are applied around this by the interpreter like for any state.

use std::sync::Arc;

use serde_json::{json, Map, Value};

use super::definition::{State, TaskMode, TaskSpec};
use super::interpreter::{codes, fail, Failure, Halt, Run};
use super::scope::Current;
use super::tasks::{self, mocks::MockedResult, NOT_CONFIGURED};
use crate::store::EventType;

/// Where a task's result came from.
enum Got {
    /// Produced here; still to be recorded.
    Result(Result<Value, Failure>),
    /// Delivered by ReportTask* (already recorded by the report).
    Reported(Result<Value, Failure>),
    /// Submitted: the result arrives through the task token.
    AwaitReport,
}

impl Run {
    fn next_invocation(&self, state: &Arc<str>) -> u32 {
        let mut m = self.invocations.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.entry(state.clone()).or_insert(0);
        let cur = *n;
        *n += 1;
        cur
    }

    /// Run a Task state once (one attempt).
    pub(super) async fn run_task(
        self: &Arc<Self>,
        st: &State,
        spec: &TaskSpec,
        input: &Value,
        started: u64,
        retry_count: u32,
        parent: Option<(&Value, &Value)>,
    ) -> Result<Value, Halt> {
        let name = &st.name;
        let custom = spec.mode == TaskMode::WaitForCustomCallback;
        let invocation = self.next_invocation(name);
        // The token exists before Parameters are evaluated, so they can pass it on.
        let pending = custom.then(|| {
            self.env
                .tokens
                .issue(&self.account, &self.exec, name, started)
        });
        let params = match &spec.parameters {
            None => Value::Object(Map::new()),
            Some(t) => {
                // A legacy task's body is its inputMappings, over the parent's input and $local.
                let (input, output) = match parent {
                    Some((i, l)) => (i, Some(l)),
                    None => (input, None),
                };
                let sc = self.scope(Current {
                    name,
                    input: Some(input),
                    output,
                    retry_count,
                    task_token: pending.as_ref().map(|(t, _, _)| t.as_str()),
                    ..Default::default()
                });
                self.eval(t, &sc, "Parameters", name)?
            }
        };
        let mode = match spec.mode {
            TaskMode::RequestComplete => "RequestComplete",
            TaskMode::WaitForSystemCallback => "WaitForSystemCallback",
            TaskMode::WaitForCustomCallback => "WaitForCustomCallback",
        };
        let mut scheduled_detail =
            json!({ "Action": spec.action, "TaskMode": mode, "Parameters": params });
        if let Some((token, _, _)) = &pending {
            scheduled_detail["TaskToken"] = json!(token);
        }
        let scheduled = self.record(EventType::TaskScheduled, started, name, scheduled_detail)?;
        self.record(EventType::TaskStarted, scheduled, name, json!({}))?;
        let Value::Object(params) = params else {
            return Err(fail(
                codes::RUNTIME,
                format!("Parameters of state '{name}' must build an object."),
            ));
        };

        let (slot, mut rx) = match pending {
            Some((_, slot, rx)) => (Some(slot), Some(rx)),
            None => (None, None),
        };
        let work = async {
            let g = self
                .task_attempt(st, spec, &params, invocation, scheduled)
                .await?;
            match (g, rx.as_mut()) {
                (Got::AwaitReport, Some(rx)) => rx.await.map(Got::Reported).map_err(|_| Halt::Ended),
                (Got::AwaitReport, None) => Ok(Got::Result(Err(Failure {
                    error: codes::RUNTIME.into(),
                    cause: format!("state '{name}': WaitForCallback mocks are only for WaitForCustomCallback tasks"),
                }))),
                (g, _) => Ok(g),
            }
        };
        let got = if spec.timeout_seconds > 0 {
            let timed = tokio::select! {
                g = work => Some(g),
                _ = self.clock.sleep(spec.timeout_seconds as f64) => None,
            };
            match timed {
                Some(g) => g?,
                // A report that won the race under the token's lock still counts.
                None if slot.as_ref().is_some_and(|s| !s.close()) => match rx.take() {
                    Some(rx) => Got::Reported(rx.await.map_err(|_| Halt::Ended)?),
                    None => return Err(Halt::Ended),
                },
                None => {
                    let cause = format!(
                        "Task state '{name}' did not complete within its Timeout of {} seconds.",
                        spec.timeout_seconds
                    );
                    self.record(
                        EventType::TaskTimedOut,
                        scheduled,
                        name,
                        json!({ "Error": codes::TASK_TIMEOUT, "Cause": cause }),
                    )?;
                    return Err(fail(codes::TASK_TIMEOUT, cause));
                }
            }
        } else {
            work.await?
        };
        match got {
            Got::AwaitReport => Err(Halt::Ended),
            Got::Reported(r) => r.map_err(Halt::from),
            Got::Result(Ok(out)) => {
                if let Some(s) = &slot {
                    s.close();
                }
                self.record(
                    EventType::TaskSucceeded,
                    scheduled,
                    name,
                    json!({ "Output": out }),
                )?;
                Ok(out)
            }
            Got::Result(Err(f)) => {
                if let Some(s) = &slot {
                    s.close();
                }
                self.record(
                    EventType::TaskFailed,
                    scheduled,
                    name,
                    json!({ "Error": f.error, "Cause": f.cause }),
                )?;
                Err(Halt::Failure(f))
            }
        }
    }

    /// Produce the task's result through its stand-in.
    async fn task_attempt(
        self: &Arc<Self>,
        st: &State,
        spec: &TaskSpec,
        params: &Map<String, Value>,
        invocation: u32,
        scheduled: u64,
    ) -> Result<Got, Halt> {
        let name = &st.name;
        let custom = spec.mode == TaskMode::WaitForCustomCallback;
        let mock = self.test_case.as_deref().and_then(|case| {
            self.env
                .mocks
                .lookup(&self.exec.flow_name, case, name, invocation)
        });
        let submitted = |what: &str| -> Result<(), Halt> {
            self.record(
                EventType::TaskSubmitted,
                scheduled,
                name,
                json!({ "Submitted": what }),
            )?;
            Ok(())
        };
        match mock {
            Some(Err(cause)) => {
                return Ok(Got::Result(Err(Failure {
                    error: NOT_CONFIGURED.into(),
                    cause,
                })))
            }
            Some(Ok(MockedResult {
                return_value,
                throw,
                delay,
                wait_for_callback,
            })) => {
                if let Some(d) = delay {
                    self.clock.sleep(d).await;
                }
                if wait_for_callback {
                    submitted("mock")?;
                    return Ok(Got::AwaitReport);
                }
                if let Some(t) = throw {
                    return Ok(Got::Result(Err(Failure {
                        error: t.error,
                        cause: t.cause,
                    })));
                }
                return Ok(Got::Result(Ok(
                    return_value.unwrap_or(Value::Object(Map::new()))
                )));
            }
            None => {}
        }
        let result = if spec.action == "FC:InvokeFunction" {
            match tasks::invoke_function(&self.env, params).await {
                // Legacy: the function's answer itself is the task's $local.
                Some(Ok(Value::Object(mut o))) if spec.unwrap_body => {
                    Ok(o.remove("Body").unwrap_or(Value::Null))
                }
                Some(r) => r,
                None => return Ok(Got::Result(Err(not_configured(name, spec, params)))),
            }
        } else if spec.action == "HTTP:Request" {
            tasks::http_request(&self.env, params).await
        } else {
            return Ok(Got::Result(Err(not_configured(name, spec, params))));
        };
        if custom {
            return match result {
                Ok(_) => {
                    submitted(&spec.action)?;
                    Ok(Got::AwaitReport)
                }
                Err(f) => {
                    self.record(
                        EventType::TaskSubmitFailed,
                        scheduled,
                        name,
                        json!({ "Error": f.error, "Cause": f.cause }),
                    )?;
                    Ok(Got::Reported(Err(f)))
                }
            };
        }
        Ok(Got::Result(result))
    }
}

fn not_configured(name: &str, spec: &TaskSpec, params: &Map<String, Value>) -> Failure {
    let hint = if spec.action == "FC:InvokeFunction" {
        let f = params
            .get("resourceArn")
            .and_then(Value::as_str)
            .and_then(tasks::function_name)
            .unwrap_or("NAME");
        format!("start the emulator with --function {f}=http://127.0.0.1:PORT/path (or CLOUDFLOW_FUNCTIONS), or mock the state")
    } else {
        "mock the state with --mocks FILE or PUT /_emulator/mocks".to_string()
    };
    Failure {
        error: NOT_CONFIGURED.into(),
        cause: format!(
            "Task state '{name}' ({}) has nothing to run in this emulator: {hint}.",
            spec.action
        ),
    }
}
