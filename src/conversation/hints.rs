//! What each customer's conversation is expected to hold when their next message comes: the
//! dialog state the bot's last turn saved. The bot answers from it before the message is
//! stored, so the message, the answer and the new state are written together, in one turn
//! on the database instead of two; the write checks that the conversation does hold that
//! state, and answers afresh when it does not. A hint is only a guess: a forgotten or stale
//! one costs a second dialog step, never a wrong answer.

use std::collections::HashMap;
use std::mem;
use std::sync::Mutex;

use crate::dialog::DialogState;

/// What kefu expects of a customer's conversation.
#[derive(Debug, Clone, PartialEq)]
pub enum Hint {
    /// The bot serves it, holding this state.
    Bot(DialogState),
    /// An agent serves it (or will): the bot stays silent, so there is nothing to work out.
    Agent,
}

/// Hints by customer, the most recent `capacity` or more.
#[derive(Debug)]
pub struct Hints {
    capacity: usize,
    /// Two generations: when the newer fills up, the older is forgotten, so customers who
    /// write keep their hint and the map stays bounded without a clock per entry.
    generations: Mutex<[HashMap<String, Hint>; 2]>,
}

impl Hints {
    /// Keeps at least the `capacity` customers who wrote last.
    pub fn new(capacity: usize) -> Hints {
        Hints { capacity: capacity.max(1), generations: Mutex::default() }
    }

    /// What `customer`'s conversation is expected to hold; a customer never seen (most
    /// often a new one) is expected to start a conversation with the bot afresh.
    pub fn expected(&self, customer: &str) -> Hint {
        let generations = self.generations.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let [newer, older] = &*generations;
        newer
            .get(customer)
            .or_else(|| older.get(customer))
            .cloned()
            .unwrap_or_else(|| Hint::Bot(DialogState::default()))
    }

    /// Remembers what `customer`'s conversation holds now.
    pub fn remember(&self, customer: &str, hint: Hint) {
        let mut generations = self.generations.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let [newer, older] = &mut *generations;
        if newer.len() >= self.capacity && !newer.contains_key(customer) {
            *older = mem::take(newer);
        }
        older.remove(customer);
        newer.insert(customer.to_string(), hint);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(times: u64) -> Hint {
        Hint::Bot(DialogState { answers_given: times, ..DialogState::default() })
    }

    #[test]
    fn an_unknown_customer_is_expected_to_start_afresh_and_a_known_one_as_left() {
        let hints = Hints::new(10);
        assert_eq!(hints.expected("a"), Hint::Bot(DialogState::default()));
        hints.remember("a", answered(1));
        hints.remember("b", Hint::Agent);
        assert_eq!(hints.expected("a"), answered(1));
        assert_eq!(hints.expected("b"), Hint::Agent);
        hints.remember("a", answered(2));
        assert_eq!(hints.expected("a"), answered(2));
    }

    #[test]
    fn the_customers_who_wrote_last_are_kept_and_the_map_stays_bounded() {
        let hints = Hints::new(3);
        for n in 0..3 {
            hints.remember(&format!("c{n}"), answered(n));
        }
        // c0 writes again: it moves to the newer generation when the next one starts.
        hints.remember("c3", answered(3));
        hints.remember("c0", answered(10));
        for n in 4..6 {
            hints.remember(&format!("c{n}"), answered(n));
        }
        assert_eq!(hints.expected("c0"), answered(10));
        assert_eq!(hints.expected("c5"), answered(5));
        hints.remember("c6", answered(6));
        hints.remember("c7", answered(7));
        // c1 and c2 wrote two generations ago: forgotten, expected afresh.
        assert_eq!(hints.expected("c1"), Hint::Bot(DialogState::default()));
        let generations = hints.generations.lock().unwrap();
        assert!(generations.iter().map(HashMap::len).sum::<usize>() <= 2 * 3);
    }
}
