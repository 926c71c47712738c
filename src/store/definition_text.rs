//! A flow definition's text as submitted, shared by the flow (or version) and every execution
//! started from it, with its JSON string form made once, on first use.
//!
//! DescribeExecution and ListExecutions answer with the definition text of each execution;
//! escaping it for JSON on every answer cost more than the rest of a small Describe's view, and
//! grows with the definition (a 5 KiB definition in each of 100 listed executions). The escaped
//! form is kept next to the text (one per flow version, not per execution).

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;

use serde_json::value::RawValue;

/// Definition text, with its JSON string literal cached.
pub struct DefinitionText {
    text: Box<str>,
    json: OnceLock<Box<RawValue>>,
}

impl DefinitionText {
    /// The text as a JSON string literal (`"..."`, escaped), made on the first call.
    pub fn as_json(&self) -> &RawValue {
        self.json.get_or_init(|| {
            // A string always serializes, and its JSON text is always a valid raw value.
            let literal = serde_json::to_string(&*self.text).unwrap_or_else(|_| "\"\"".into());
            RawValue::from_string(literal).unwrap_or_else(|_| {
                RawValue::from_string("\"\"".into()).expect("an empty string literal is JSON")
            })
        })
    }
}

impl From<&str> for DefinitionText {
    fn from(text: &str) -> Self {
        DefinitionText {
            text: text.into(),
            json: OnceLock::new(),
        }
    }
}

impl From<String> for DefinitionText {
    fn from(text: String) -> Self {
        DefinitionText {
            text: text.into_boxed_str(),
            json: OnceLock::new(),
        }
    }
}

impl Deref for DefinitionText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for DefinitionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for DefinitionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl PartialEq for DefinitionText {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_form_is_the_escaped_text_and_made_once() {
        let d = DefinitionText::from("Type: StateMachine\nName: \"q\" \\ é 流\t");
        let json = d.as_json().get();
        assert_eq!(json, serde_json::to_string(&*d).unwrap());
        assert_eq!(serde_json::from_str::<String>(json).unwrap(), &*d);
        assert!(std::ptr::eq(d.as_json(), d.as_json()));
        assert_eq!(d.to_string(), &*d);
        assert_eq!(DefinitionText::from(String::new()).as_json().get(), "\"\"");
    }
}
