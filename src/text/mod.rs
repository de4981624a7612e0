//! Text handling shared by indexing and querying: normalisation and Chinese segmentation.
//!
//! Index and query must see text identically, so every path goes through [`normalize`] and
//! one [`Segmenter`], shared by the index build and every query.

mod dictionary;
mod discovery;
mod normalize;
mod segmenter;

pub use dictionary::{SynonymGroups, builtin_words};
pub use discovery::discover_words;
pub use normalize::{is_cjk, normalize};
#[cfg(test)]
pub(crate) use segmenter::test_segmenter;
pub use segmenter::{BACKGROUND_TOTAL, Segmenter, WordToken};
