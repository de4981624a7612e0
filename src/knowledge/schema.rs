//! The serde mirror of a knowledge file: exactly what operators may write, nothing more.

use std::fmt;

use marked_yaml::Spanned;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// The top of a knowledge file; `entries` is read item by item (see `load.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FileDoc {
    pub version: Spanned<u32>,
    #[serde(default)]
    pub category: Option<String>,
    /// Accepted here, read node by node so one bad entry hides no other.
    #[serde(rename = "entries")]
    pub _entries: de::IgnoredAny,
}

/// One entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EntryDoc {
    pub id: Spanned<String>,
    pub question: Spanned<String>,
    #[serde(default)]
    pub similar: Vec<Spanned<String>>,
    pub answer: AnswerDoc,
    #[serde(default)]
    pub attachments: Vec<ReplyDoc>,
    #[serde(default)]
    pub keywords: Vec<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub flow: Option<Spanned<String>>,
    #[serde(default)]
    pub handoff: bool,
}

/// `answer:` — a text, a rich reply, or a list of variants (texts or rich replies).
#[derive(Debug)]
pub(super) struct AnswerDoc(pub Vec<ReplyDoc>);

/// One reply as written: a plain string, or a one-key mapping naming its kind.
#[derive(Debug)]
pub(super) enum ReplyDoc {
    Text(String),
    Image(ImageDoc),
    Link(LinkDoc),
    MiniProgram(MiniProgramDoc),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImageDoc {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub media_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LinkDoc {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub url: String,
    #[serde(default)]
    pub thumb_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MiniProgramDoc {
    pub title: String,
    pub pagepath: String,
    #[serde(default)]
    pub thumb_url: Option<String>,
    #[serde(default)]
    pub thumb_media_id: Option<String>,
}

const REPLY_KINDS: &[&str] = &["text", "image", "link", "miniprogram"];

impl<'de> Deserialize<'de> for ReplyDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ReplyVisitor)
    }
}

struct ReplyVisitor;

impl<'de> Visitor<'de> for ReplyVisitor {
    type Value = ReplyDoc;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text, or one of `text:`, `image:`, `link:`, `miniprogram:`")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<ReplyDoc, E> {
        Ok(ReplyDoc::Text(text.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ReplyDoc, A::Error> {
        let Some(kind) = map.next_key::<String>()? else {
            return Err(de::Error::custom("a reply needs one of `text:`, `image:`, `link:`, `miniprogram:`"));
        };
        let reply = match kind.as_str() {
            "text" => ReplyDoc::Text(map.next_value()?),
            "image" => ReplyDoc::Image(map.next_value()?),
            "link" => ReplyDoc::Link(map.next_value()?),
            "miniprogram" => ReplyDoc::MiniProgram(map.next_value()?),
            other => return Err(de::Error::unknown_field(other, REPLY_KINDS)),
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "a reply has exactly one kind, found `{kind}` and `{extra}` (make a list of replies instead)"
            )));
        }
        Ok(reply)
    }
}

impl<'de> Deserialize<'de> for AnswerDoc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnswerVisitor)
    }
}

struct AnswerVisitor;

impl<'de> Visitor<'de> for AnswerVisitor {
    type Value = AnswerDoc;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a text, a rich reply, or a list of variants")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<AnswerDoc, E> {
        Ok(AnswerDoc(vec![ReplyDoc::Text(text.to_string())]))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AnswerDoc, A::Error> {
        ReplyVisitor.visit_map(map).map(|reply| AnswerDoc(vec![reply]))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnswerDoc, A::Error> {
        let mut variants = Vec::new();
        while let Some(reply) = seq.next_element()? {
            variants.push(reply);
        }
        Ok(AnswerDoc(variants))
    }
}
