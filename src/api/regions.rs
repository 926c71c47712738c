//! DescribeRegions: the regions CloudFlow documents, with their public endpoints.

use serde_json::{json, Value};

use super::{ActionResult, Call};
use crate::error::ApiError;

/// (RegionId, Chinese name, English name).
const REGIONS: [(&str, &str, &str); 7] = [
    ("cn-hangzhou", "华东1（杭州）", "China (Hangzhou)"),
    ("cn-shanghai", "华东2（上海）", "China (Shanghai)"),
    ("cn-qingdao", "华北1（青岛）", "China (Qingdao)"),
    ("cn-beijing", "华北2（北京）", "China (Beijing)"),
    ("cn-shenzhen", "华南1（深圳）", "China (Shenzhen)"),
    ("ap-southeast-1", "新加坡", "Singapore"),
    ("us-west-1", "美国（硅谷）", "US (Silicon Valley)"),
];

/// DescribeRegions (`AcceptLanguage` `zh-CN`, the default, or `en-US`).
pub fn describe_regions(call: &Call<'_>) -> ActionResult {
    let english = match call.params.optional("AcceptLanguage") {
        None | Some("zh-CN") => false,
        Some("en-US") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "AcceptLanguage must be zh-CN or en-US, got '{other}'."
            )))
        }
    };
    let regions: Vec<Value> = REGIONS
        .iter()
        .map(|(id, zh, en)| {
            json!({ "RegionId": id, "LocalName": if english { en } else { zh }, "RegionEndpoint": format!("{id}.fnf.aliyuncs.com") })
        })
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("Regions".into(), json!({ "Region": regions }));
    Ok(out)
}
