//! Human agents: accounts and passwords, business hours, the live event hub, and assigning
//! queued conversations.

mod assign;
mod hours;
mod hub;
mod passwords;

pub use assign::{AssignmentPlan, plan_assignments};
pub use hours::BusinessHours;
pub use hub::Hub;
pub use passwords::{hash_password, random_password, random_token, token_hash, verify_password};
