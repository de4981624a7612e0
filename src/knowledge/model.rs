//! Validated knowledge: what the matcher indexes and the dialog core answers with.

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::operator_yaml::Location;

/// A knowledge entry's stable id, as written by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EntryId(pub String);

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message the bot can send: text or a rich reply WeChat can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Reply {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// An image, by public URL (uploaded by the channel) or an already uploaded media id.
    Image {
        /// Public URL of the image.
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<String>,
        /// WeChat media id.
        #[serde(skip_serializing_if = "Option::is_none")]
        media_id: Option<String>,
    },
    /// A link card.
    Link {
        /// Card title.
        title: String,
        /// Card description.
        description: String,
        /// Target URL.
        url: String,
        /// Thumbnail URL.
        #[serde(skip_serializing_if = "Option::is_none")]
        thumb_url: Option<String>,
    },
    /// A mini-program page card.
    MiniProgram {
        /// Card title.
        title: String,
        /// Page path inside the mini program, e.g. `pages/order/index?id=1`.
        pagepath: String,
        /// Thumbnail URL.
        #[serde(skip_serializing_if = "Option::is_none")]
        thumb_url: Option<String>,
        /// Thumbnail WeChat media id.
        #[serde(skip_serializing_if = "Option::is_none")]
        thumb_media_id: Option<String>,
    },
}

impl Reply {
    /// A text reply.
    pub fn text(text: impl Into<String>) -> Reply {
        Reply::Text { text: text.into() }
    }

    /// A one-line rendering for terminals and logs.
    pub fn summary(&self) -> String {
        match self {
            Reply::Text { text } => text.trim_end().to_string(),
            Reply::Image { url, media_id } => {
                format!("[图片 {}]", url.as_deref().or(media_id.as_deref()).unwrap_or_default())
            }
            Reply::Link { title, url, .. } => format!("[链接 {title} {url}]"),
            Reply::MiniProgram { title, pagepath, .. } => format!("[小程序 {title} {pagepath}]"),
        }
    }
}

/// An entry's answer: one reply, or variants the bot rotates through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// At least one reply; the bot picks one per answer.
    pub variants: Vec<Reply>,
}

impl Answer {
    /// The variant for the `turn`-th answer: rotating keeps repeated answers from reading
    /// like a machine without making the core depend on randomness.
    pub fn variant(&self, turn: u64) -> &Reply {
        let index = (turn % self.variants.len().max(1) as u64) as usize;
        &self.variants[index.min(self.variants.len().saturating_sub(1))]
    }
}

/// One knowledge entry (an FAQ item).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Stable id.
    pub id: EntryId,
    /// The file's category, if it declares one.
    pub category: Option<String>,
    /// The standard question.
    pub question: String,
    /// Other phrasings of the same question.
    pub similar: Vec<String>,
    /// What the bot answers.
    pub answer: Answer,
    /// Rich replies sent after the answer.
    pub attachments: Vec<Reply>,
    /// Words that weigh more when matching this entry.
    pub keywords: Vec<String>,
    /// Free-form labels.
    pub tags: Vec<String>,
    /// Regexes (case-insensitive, over the message as typed) that select this entry outright.
    pub patterns: Vec<Regex>,
    /// A dialog flow that answers this entry instead of `answer`.
    pub flow: Option<String>,
    /// The topic always needs a human: answer, then hand off.
    pub handoff: bool,
    /// Where the entry is defined.
    pub location: Location,
}

impl Entry {
    /// The standard question followed by the similar phrasings.
    pub fn phrasings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.similar.iter().map(String::as_str))
    }
}

/// A validated knowledge base.
#[derive(Debug, Clone, Default)]
pub struct Knowledge {
    /// All entries, in file order (files sorted by name).
    pub entries: Vec<Entry>,
    /// Synonym groups from `_synonyms.yaml` (normalised words, first = canonical).
    pub synonym_groups: Vec<Vec<String>>,
    /// Extra words for the segmenter from `_synonyms.yaml`.
    pub custom_words: Vec<String>,
    /// Agents' canned replies from `_canned.yaml`.
    pub canned: Vec<super::Canned>,
}

impl Knowledge {
    /// The entry with `id`.
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.id.0 == id)
    }

    /// Every word the segmenter should keep whole: custom words and keywords.
    pub fn segmenter_words(&self) -> impl Iterator<Item = &str> {
        self.custom_words
            .iter()
            .map(String::as_str)
            .chain(self.entries.iter().flat_map(|entry| entry.keywords.iter().map(String::as_str)))
    }
}
