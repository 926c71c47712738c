//! Fires time-based schedules on the emulated clock.
//!
//! The dialect (documented example `0 * * * * *`, and the console's "time interval" mode):
//! * six fields, `second minute hour day-of-month month day-of-week` (day-of-week 0–6 from
//!   Sunday, or 7 for Sunday, or `SUN`–`SAT`; `*`, `,`, `-`, `/`, `?`, and `0/5`-style steps), or
//! * `@every <duration>` with units `s`, `m`, `h` (e.g. `@every 1m`, `@every 1h30m`), at least 1 s.
//!
//! Times are UTC. Parsing is done by the `croner` crate. Each occurrence starts one execution
//! with the schedule's `Payload` as input. After a clock jump (`/_emulator/clock/advance`) every
//! occurrence that fell inside the jump fires, at most [`MAX_CATCH_UP`] per jump.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use croner::parser::{CronParser, Seconds, Year};

use crate::clock::Clock;
use crate::engine::{self, tasks::TaskEnv, StartRequest};
use crate::store::{Account, Schedule};

/// Most occurrences fired for one clock jump; the rest are skipped.
pub const MAX_CATCH_UP: usize = 1000;

/// A parsed schedule expression.
#[derive(Debug, Clone)]
pub enum CronSpec {
    /// A cron pattern.
    Cron(Box<croner::Cron>),
    /// `@every` interval in seconds.
    Every(i64),
}

fn parse_every(s: &str) -> Option<i64> {
    let mut total = 0i64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: i64 = num.parse().ok()?;
        num.clear();
        total = total.checked_add(n.checked_mul(match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        })?)?;
    }
    (num.is_empty() && total >= 1).then_some(total)
}

impl CronSpec {
    /// Parse a `CronExpression`.
    pub fn parse(expr: &str) -> Result<CronSpec, String> {
        let e = expr.trim();
        if let Some(rest) = e.strip_prefix("@every") {
            return parse_every(rest.trim())
                .map(CronSpec::Every)
                .ok_or_else(|| {
                    format!("'{expr}': @every takes a duration such as 30s, 1m or 1h30m")
                });
        }
        if e.split_whitespace().count() != 6 {
            return Err(format!(
                "'{expr}' must have six fields (second minute hour day-of-month month day-of-week), e.g. 0 * * * * *"
            ));
        }
        CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Disallowed)
            .sloppy_ranges(true)
            .build()
            .parse(e)
            .map(|c| CronSpec::Cron(Box::new(c)))
            .map_err(|err| format!("'{expr}' is not a valid cron expression: {err}"))
    }

    /// The first occurrence strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            CronSpec::Every(secs) => Some(t + chrono::Duration::seconds(*secs)),
            CronSpec::Cron(c) => c.find_next_occurrence(&t, false).ok(),
        }
    }
}

/// (Re)start the timer of `schedule` if it is enabled. `account` owns the flow.
pub fn arm(
    schedule: &Arc<Schedule>,
    account: Arc<Account>,
    account_id: String,
    clock: Arc<Clock>,
    env: Arc<TaskEnv>,
) {
    let token = schedule.rearm();
    let meta = schedule.meta();
    if !meta.enable {
        return;
    }
    let Ok(spec) = CronSpec::parse(&meta.cron_expression) else {
        return;
    };
    let schedule = schedule.clone();
    let Ok(rt) = tokio::runtime::Handle::try_current() else {
        tracing::warn!(schedule = %schedule.name, "no async runtime: schedule timer not started");
        return;
    };
    rt.spawn(async move {
        let mut last = clock.now();
        loop {
            let Some(next) = spec.next_after(last) else {
                return;
            };
            tokio::select! {
                _ = token.cancelled() => return,
                _ = clock.sleep_until(next) => {}
            }
            let now = clock.now();
            let mut fired = 0;
            let mut at = next;
            while at <= now && fired < MAX_CATCH_UP {
                if token.is_cancelled() {
                    return;
                }
                fire(&schedule, &account, &account_id, &clock, &env);
                fired += 1;
                last = at;
                match spec.next_after(at) {
                    Some(n) => at = n,
                    None => return,
                }
            }
            if fired == MAX_CATCH_UP {
                last = now;
            }
        }
    });
}

fn fire(
    schedule: &Schedule,
    account: &Account,
    account_id: &str,
    clock: &Arc<Clock>,
    env: &Arc<TaskEnv>,
) {
    let Some(flow) = account.flow(&schedule.flow_name) else {
        return;
    };
    let meta = schedule.meta();
    let input = meta
        .payload
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "{}".to_string());
    let name = format!("{}-{}", schedule.name, uuid::Uuid::new_v4().simple());
    let name = if name.len() > 128 {
        uuid::Uuid::new_v4().to_string()
    } else {
        name
    };
    let _ = engine::start(
        &flow,
        StartRequest {
            name,
            input,
            callback_token: None,
            account: account_id.to_string(),
            version: None,
        },
        clock,
        env,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn six_field_cron_with_seconds() {
        let c = CronSpec::parse("0 * * * * *").unwrap();
        assert_eq!(
            c.next_after(t("2024-01-01T00:00:30Z")),
            Some(t("2024-01-01T00:01:00Z"))
        );
        let c = CronSpec::parse("30 9 * * * *").unwrap();
        assert_eq!(
            c.next_after(t("2024-01-01T00:00:00Z")),
            Some(t("2024-01-01T00:09:30Z"))
        );
        let c = CronSpec::parse("0 0/15 * * * *").unwrap();
        assert_eq!(
            c.next_after(t("2024-01-01T00:01:00Z")),
            Some(t("2024-01-01T00:15:00Z"))
        );
        // 2024-01-01 is a Monday; day-of-week 0 is Sunday.
        let c = CronSpec::parse("0 0 12 * * 0").unwrap();
        assert_eq!(
            c.next_after(t("2024-01-01T00:00:00Z")),
            Some(t("2024-01-07T12:00:00Z"))
        );
        let c = CronSpec::parse("0 0 12 ? * MON").unwrap();
        assert_eq!(
            c.next_after(t("2024-01-01T13:00:00Z")),
            Some(t("2024-01-08T12:00:00Z"))
        );
    }

    #[test]
    fn every_intervals() {
        let c = CronSpec::parse("@every 1h30m").unwrap();
        assert_eq!(
            c.next_after(t("2024-01-01T00:00:00Z")),
            Some(t("2024-01-01T01:30:00Z"))
        );
        assert!(CronSpec::parse("@every 0s").is_err());
        assert!(CronSpec::parse("@every 5x").is_err());
        assert!(CronSpec::parse("@every").is_err());
    }

    #[test]
    fn invalid_expressions_are_refused() {
        for bad in [
            "* * * * *",
            "61 * * * * *",
            "0 * * * * * 2024",
            "nonsense",
            "0 * 25 * * *",
            "",
        ] {
            assert!(CronSpec::parse(bad).is_err(), "{bad}");
        }
    }
}
