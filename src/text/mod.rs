//! Text handling shared by indexing and querying: normalisation and Chinese segmentation.
//!
//! Index and query must see text identically, so every path goes through [`normalize`] and
//! one [`Segmenter`]; the same segmenter is registered as the tantivy tokenizer.

mod dictionary;
mod discovery;
mod normalize;
mod segmenter;
mod tantivy_tokenizer;

pub use dictionary::{SynonymGroups, builtin_words};
pub use discovery::discover_words;
pub use normalize::{is_cjk, normalize};
#[cfg(test)]
pub(crate) use segmenter::test_segmenter;
pub use segmenter::{BACKGROUND_TOTAL, Segmenter, WordToken};
pub use tantivy_tokenizer::{KefuTokenizer, TOKENIZER_NAME};
