//! Conversation tests operators write in `flows/tests/*.yaml`: what the customer says, turn
//! by turn, and what the bot must answer, with webhook replies stubbed. `kefu test` runs them
//! against the real knowledge and flows before an edit goes live.

mod load;
mod run;
mod stubs;

pub use load::{Expectation, Scenario, Turn, load_scenarios};
pub use run::{CaseResult, Failure, run_scenario};
pub use stubs::{StubReply, StubWebhooks, load_stub_file, parse_stubs};
