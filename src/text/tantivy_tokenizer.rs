//! The segmenter as a tantivy tokenizer, so the index splits text exactly as queries do.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::segmenter::Segmenter;

/// Name under which [`KefuTokenizer`] is registered on every index kefu opens.
pub const TOKENIZER_NAME: &str = "kefu_jieba";

/// A tantivy tokenizer over one shared [`Segmenter`]; cloning it is cheap (an `Arc`).
#[derive(Clone)]
pub struct KefuTokenizer {
    segmenter: Arc<Segmenter>,
}

impl KefuTokenizer {
    /// Wraps a shared segmenter.
    pub fn new(segmenter: Arc<Segmenter>) -> KefuTokenizer {
        KefuTokenizer { segmenter }
    }
}

/// The tokens of one text, produced eagerly (messages are short).
pub struct KefuTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for KefuTokenizer {
    type TokenStream<'a> = KefuTokenStream;

    /// Expects normalised text (see [`crate::text::normalize`]).
    fn token_stream<'a>(&'a mut self, text: &'a str) -> KefuTokenStream {
        let tokens = self
            .segmenter
            .words(text)
            .into_iter()
            .enumerate()
            .map(|(position, word)| Token {
                offset_from: word.byte_start,
                offset_to: word.byte_end,
                position,
                text: word.text,
                position_length: 1,
            })
            .collect();
        KefuTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for KefuTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::normalize;
    use crate::text::test_segmenter;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn positions_increase_and_offsets_sit_on_char_boundaries(text in "\\PC{0,40}") {
            let mut tokenizer = KefuTokenizer::new(test_segmenter().clone());
            let normalized = normalize(&text);
            let mut stream = tokenizer.token_stream(&normalized);
            let mut last_position = None;
            while stream.advance() {
                let token = stream.token();
                prop_assert!(!token.text.is_empty());
                prop_assert!(normalized.is_char_boundary(token.offset_from));
                prop_assert!(normalized.is_char_boundary(token.offset_to));
                prop_assert!(last_position.is_none_or(|last| token.position > last));
                last_position = Some(token.position);
            }
        }
    }
}
