//! End-to-end checks of the legacy translation: definitions in, problems or typed trees out.

use super::*;
use crate::engine::definition::TaskMode;

fn errs(text: &str) -> Vec<String> {
    match super::super::parse(text, ExecutionMode::Standard) {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e,
    }
}

fn has(errs: &[String], needle: &str) {
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "no error containing {needle:?} in {errs:#?}"
    );
}

#[test]
fn top_level_fields() {
    let e = errs("type: flow\nsteps: []\nbogus: 1\n");
    has(&e, "definition.version: required");
    has(&e, "steps: must list at least one step");
    has(&e, "definition: unknown field 'bogus'");
    let e = errs("version: v2\ntype: flo\nsteps:\n  - type: pass\n    name: a\n");
    has(&e, "definition.version: must be 'v1' or 'v1beta1'");
    has(&e, "definition.type: must be 'flow'");
}

#[test]
fn every_problem_names_step_and_field() {
    let e = errs(
        r#"version: v1
type: flow
steps:
  - type: pass
    name: a
    outputMappings:
      - target: x
  - type: task
    name: a
  - type: task
    name: resize
    resourceArn: acs:fc:::services/s/functions/resize
    pattern: later
    retry:
      - intervalSeconds: 1
    catch:
      - errors: [FnF.ALL]
        goto: nowhere
  - type: choice
    name: c
    choices:
      - condition: $.x ==
        goto: a
  - type: foreach
    name: f
    iterationMapping:
      item: x
    steps:
      - type: loop
        name: l
  - type: wait
    name: w
  - type: pass
    name: p
    errorMappings: []
"#,
    );
    has(&e, "steps[0](a).outputMappings[0].source: required");
    has(&e, "steps[1]: the name 'a' is used by more than one step");
    has(&e, "steps[1](a).resourceArn: required");
    has(
        &e,
        "steps[2](resize).pattern: must be requestResponse, sync or waitForCallback",
    );
    has(&e, "steps[2](resize).retry[0].errors: required");
    has(
        &e,
        "steps[2](resize).catch[0].goto: no step named 'nowhere'",
    );
    has(
        &e,
        "steps[3](c).choices[0].condition: invalid condition '$.x =='",
    );
    has(&e, "steps[4](f).iterationMapping.collection: required");
    has(&e, "steps[4](f).steps[0](l).type: unknown step type 'loop'");
    has(
        &e,
        "steps[5](w): a wait step needs exactly one of duration, timestamp",
    );
    has(&e, "steps[6](p): unknown field 'errorMappings'");
}

#[test]
fn nested_paths_and_limits() {
    let e = errs(
        r#"version: v1
type: flow
steps:
  - type: parallel
    name: par
    branches:
      - steps:
          - type: wait
            name: w
            duration: 200000
      - steps: []
    errorMappings:
      - target: e
        source: $local.error
  - type: choice
    name: c
    choices:
      - condition: $.a == 1
        steps:
          - type: fail
            name: f
            reason: x
    default:
      goto: missing
"#,
    );
    has(
        &e,
        "steps[0](par).branches[0].steps[0](w).duration: must be whole seconds from 0 to 172800",
    );
    has(
        &e,
        "steps[0](par).branches[1].steps: must list at least one step",
    );
    has(&e, "steps[0](par).errorMappings: only with catch");
    has(
        &e,
        "steps[1](c).choices[0].steps[0](f): unknown field 'reason'",
    );
    has(&e, "steps[1](c).default.goto: no step named 'missing'");
}

#[test]
fn translation_shapes() {
    let def = super::super::parse(
        r#"version: v1beta1
type: flow
steps:
  - type: task
    name: t
    resourceArn: acs:fc:::services/s/functions/f
    pattern: waitForCallback
    timeoutSeconds: 30
    retry:
      - errors: [FnF.ALL]
  - type: choice
    name: c
    end: true
    choices:
      - condition: $.x == 1
        steps:
          - type: pass
            name: inner
  - type: pass
    name: after
"#,
        ExecutionMode::Standard,
    )
    .unwrap();
    assert!(def.legacy.is_some() && def.root.legacy);
    let st = &def.root.states;
    assert_eq!(st[0].next, Next::State(1));
    let Kind::Task { spec, errors } = &st[0].kind else {
        panic!()
    };
    assert_eq!(spec.mode, TaskMode::WaitForCustomCallback);
    assert_eq!(spec.timeout_seconds, 30);
    assert!(spec.unwrap_body);
    let r = &errors.retry[0];
    assert_eq!(
        (r.max_attempts, r.interval_seconds, r.backoff_rate),
        (3, 1.0, 2.0)
    );
    let Kind::Choice {
        branches,
        default,
        bodies,
    } = &st[1].kind
    else {
        panic!()
    };
    // end: true on the choice: after the branch, the scope ends.
    assert_eq!(branches[0].1, Next::End);
    assert_eq!(*default, Next::End);
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].as_ref().is_some_and(|s| s.legacy));
    assert!(bodies[1].is_none());
    assert_eq!(st[2].next, Next::End);
}
