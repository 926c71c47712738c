//! The flow engine: definitions ([`definition`]), expressions ([`expr`]) and the interpreter
//! ([`interpreter`]) that runs one execution as one tokio task. No HTTP types here.

pub mod definition;
pub mod expr;
pub mod interpreter;
mod scope;
mod task_state;
pub mod tasks;

pub use interpreter::spawn;
