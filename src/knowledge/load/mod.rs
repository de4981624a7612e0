//! Reading `knowledge/`: every file, every entry, every cross-file rule, all errors at once.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use marked_yaml::{Node, Span};
use regex::Regex;

use super::canned::{CANNED_FILE, parse_canned};
use super::model::{Answer, Entry, EntryId, Knowledge, Reply};
use super::schema::{EntryDoc, FileDoc, ReplyDoc};
use super::synonyms::{SYNONYMS_FILE, SynonymsFile};
use crate::operator_yaml::{
    Diagnostic, Location, deserialize_node, mapping_value, node_start, parse_document, regex_error_message,
    sort_diagnostics, yaml_files,
};
use crate::text::normalize;

/// What the knowledge loader needs to know about the rest of the brain.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeSource {
    /// The knowledge folder.
    pub dir: PathBuf,
    /// Ids of the flows that exist, for checking `flow:` links (`None`: not checked).
    pub flow_ids: Option<HashSet<String>>,
}

/// An entry with the positions the cross-file checks point at.
struct LocatedEntry {
    entry: Entry,
    phrasings: Vec<(String, Location)>,
    flow_location: Option<Location>,
}

/// Loads and validates every knowledge file in `source.dir`.
pub fn load_knowledge(source: &KnowledgeSource) -> Result<Knowledge, Vec<Diagnostic>> {
    let files = yaml_files(&source.dir).map_err(|error| {
        let message = format!("cannot read the knowledge folder: {error}");
        vec![Diagnostic::new(Location::file_start(&source.dir), message)]
    })?;
    let mut diagnostics = Vec::new();
    let mut located = Vec::new();
    let mut knowledge = Knowledge::default();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) => {
                diagnostics
                    .push(Diagnostic::new(Location::file_start(&file), format!("cannot read file: {error}")));
                continue;
            }
        };
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name == SYNONYMS_FILE {
            match SynonymsFile::parse(&file, &text) {
                Ok(synonyms) => {
                    knowledge.synonym_groups = synonyms.groups;
                    knowledge.custom_words = synonyms.words;
                }
                Err(errors) => diagnostics.extend(errors),
            }
        } else if name == CANNED_FILE {
            match parse_canned(&file, &text) {
                Ok(canned) => knowledge.canned = canned,
                Err(errors) => diagnostics.extend(errors),
            }
        } else if name.starts_with('_') {
            let message = format!(
                "unknown special file `{name}` (files starting with `_` are reserved; known: {SYNONYMS_FILE}, {CANNED_FILE})"
            );
            diagnostics.push(Diagnostic::new(Location::file_start(&file), message));
        } else {
            let (entries, errors) = parse_file(&file, &text);
            located.extend(entries);
            diagnostics.extend(errors);
        }
    }
    diagnostics.extend(cross_file_checks(&located, source));
    if located.is_empty() && diagnostics.is_empty() {
        let message = "no knowledge entries found (expected *.yaml files with `entries:`)";
        diagnostics.push(Diagnostic::new(Location::file_start(&source.dir), message));
    }
    if !diagnostics.is_empty() {
        sort_diagnostics(&mut diagnostics);
        return Err(diagnostics);
    }
    knowledge.entries = located.into_iter().map(|l| l.entry).collect();
    Ok(knowledge)
}

/// Parses one knowledge file on its own (no cross-file checks): its entries and errors.
pub fn parse_knowledge_file(file: &Path, text: &str) -> (Vec<Entry>, Vec<Diagnostic>) {
    let (located, diagnostics) = parse_file(file, text);
    (located.into_iter().map(|l| l.entry).collect(), diagnostics)
}

fn parse_file(file: &Path, text: &str) -> (Vec<LocatedEntry>, Vec<Diagnostic>) {
    let node = match parse_document(file, text) {
        Ok(node) => node,
        Err(diagnostic) => return (Vec::new(), vec![diagnostic]),
    };
    let mut diagnostics = Vec::new();
    let category = match deserialize_node::<FileDoc>(file, &node, "knowledge file") {
        Ok(doc) => {
            if *doc.version != 1 {
                let message = format!("unsupported version {}, expected `version: 1`", *doc.version);
                diagnostics.push(Diagnostic::at(file, doc.version.span(), message));
            }
            doc.category
        }
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            None
        }
    };
    let Some(items) = mapping_value(&node, "entries") else {
        return (Vec::new(), diagnostics);
    };
    let Some(items) = items.as_sequence() else {
        diagnostics.push(Diagnostic::at(file, items.span(), "`entries` must be a list of entries"));
        return (Vec::new(), diagnostics);
    };
    let mut entries = Vec::new();
    for item in items.iter() {
        match deserialize_node::<EntryDoc>(file, item, "entry") {
            Ok(doc) => match entry_from_doc(file, item, doc, category.clone()) {
                Ok(entry) => entries.push(entry),
                Err(errors) => diagnostics.extend(errors),
            },
            Err(diagnostic) => diagnostics.push(name_entry(diagnostic, item)),
        }
    }
    (entries, diagnostics)
}

/// Adds the entry id to a diagnostic raised before the entry could be read.
fn name_entry(mut diagnostic: Diagnostic, item: &Node) -> Diagnostic {
    if let Some(id) = mapping_value(item, "id").and_then(Node::as_scalar) {
        diagnostic.message = format!("{} (entry `{}`)", diagnostic.message, id.as_str());
    }
    diagnostic
}

fn entry_from_doc(
    file: &Path,
    node: &Node,
    doc: EntryDoc,
    category: Option<String>,
) -> Result<LocatedEntry, Vec<Diagnostic>> {
    let id = doc.id.as_str().to_string();
    let mut errors = Vec::new();
    let mut error = |span: &Span, message: String| {
        errors.push(Diagnostic::at(file, span, format!("entry `{id}`: {message}")))
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        error(
            doc.id.span(),
            "an id must be non-empty and use only ASCII letters, digits, `-`, `_` and `.`".into(),
        );
    }
    let mut phrasings = Vec::new();
    for (field, phrasing) in
        std::iter::once(("question", &doc.question)).chain(doc.similar.iter().map(|s| ("similar", s)))
    {
        let normalized = normalize(phrasing);
        if normalized.is_empty() {
            error(phrasing.span(), format!("empty {field} (nothing left after removing punctuation)"));
        } else {
            phrasings.push((normalized, Location::of_span(file, phrasing.span())));
        }
    }
    let answer_span = mapping_value(node, "answer").map_or(*node_start(node), |n| *node_start(n));
    let written_variants = doc.answer.0.len();
    let variants = replies(doc.answer.0, &answer_span, "answer", &mut error);
    if written_variants == 0 {
        error(&answer_span, "empty answer".into());
    }
    let attachments_span = mapping_value(node, "attachments").map_or(*node_start(node), |n| *node_start(n));
    let attachments = replies(doc.attachments, &attachments_span, "attachment", &mut error);
    let mut keywords = Vec::new();
    for keyword in &doc.keywords {
        match normalize(keyword) {
            normalized if normalized.is_empty() => error(keyword.span(), "empty keyword".into()),
            normalized => keywords.push(normalized),
        }
    }
    let mut patterns = Vec::new();
    for pattern in &doc.patterns {
        match Regex::new(&format!("(?i){}", pattern.as_str())) {
            Ok(regex) => patterns.push(regex),
            Err(regex_error) => error(
                pattern.span(),
                format!("invalid regex `{}`: {}", pattern.as_str(), regex_error_message(&regex_error)),
            ),
        }
    }
    let flow = doc.flow.as_ref().map(|flow| flow.as_str().trim().to_string());
    if flow.as_deref() == Some("") {
        error(&answer_span, "`flow:` is empty".into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let entry = Entry {
        id: EntryId(id),
        category,
        question: doc.question.as_str().trim().to_string(),
        similar: doc.similar.iter().map(|s| s.as_str().trim().to_string()).collect(),
        answer: Answer { variants },
        attachments,
        keywords,
        tags: doc.tags,
        patterns,
        flow,
        handoff: doc.handoff,
        location: Location::of_span(file, doc.id.span()),
    };
    let flow_location = doc.flow.as_ref().map(|flow| Location::of_span(file, flow.span()));
    Ok(LocatedEntry { entry, phrasings, flow_location })
}

/// Validates written replies into [`Reply`]s, reporting problems at `span`.
fn replies(
    docs: Vec<ReplyDoc>,
    span: &Span,
    what: &str,
    error: &mut impl FnMut(&Span, String),
) -> Vec<Reply> {
    let mut replies = Vec::new();
    for doc in docs {
        let reply = match doc {
            ReplyDoc::Text(text) if text.trim().is_empty() => Err(format!("empty {what}")),
            ReplyDoc::Text(text) => Ok(Reply::Text { text: text.trim_end().to_string() }),
            ReplyDoc::Image(image) => match (&image.url, &image.media_id) {
                (Some(_), None) | (None, Some(_)) => {
                    Ok(Reply::Image { url: image.url, media_id: image.media_id })
                }
                _ => Err(format!("an {what} image needs exactly one of `url` or `media_id`")),
            },
            ReplyDoc::Link(link) if link.title.trim().is_empty() || !is_web_url(&link.url) => {
                Err(format!("an {what} link needs a `title` and an http(s) `url`"))
            }
            ReplyDoc::Link(link) => Ok(Reply::Link {
                title: link.title,
                description: link.description,
                url: link.url,
                thumb_url: link.thumb_url,
            }),
            ReplyDoc::MiniProgram(page)
                if page.title.trim().is_empty() || page.pagepath.trim().is_empty() =>
            {
                Err(format!("an {what} mini-program card needs a `title` and a `pagepath`"))
            }
            ReplyDoc::MiniProgram(page) => Ok(Reply::MiniProgram {
                title: page.title,
                pagepath: page.pagepath,
                thumb_url: page.thumb_url,
                thumb_media_id: page.thumb_media_id,
            }),
        };
        match reply {
            Ok(reply) => replies.push(reply),
            Err(message) => error(span, message),
        }
    }
    replies
}

fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

fn cross_file_checks(located: &[LocatedEntry], source: &KnowledgeSource) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut ids: HashMap<&str, &Location> = HashMap::new();
    let mut phrasings: HashMap<String, (&EntryId, &Location)> = HashMap::new();
    for item in located {
        let id = &item.entry.id;
        if let Some(first) = ids.insert(&id.0, &item.entry.location) {
            let message = format!("duplicate entry id `{id}` (first defined at {first})");
            diagnostics.push(Diagnostic::new(item.entry.location.clone(), message));
        }
        for (normalized, location) in &item.phrasings {
            match phrasings.get(normalized.replace(' ', "").as_str()) {
                Some((other, first)) if *other == id => {
                    let message = format!(
                        "entry `{id}`: phrasing `{normalized}` is listed twice (also at line {})",
                        first.line
                    );
                    diagnostics.push(Diagnostic::new(location.clone(), message));
                }
                Some((other, first)) => {
                    let message = format!(
                        "entry `{id}`: phrasing `{normalized}` also belongs to entry `{other}` ({first}); a question can lead to one answer only"
                    );
                    diagnostics.push(Diagnostic::new(location.clone(), message));
                }
                None => {
                    phrasings.insert(normalized.replace(' ', ""), (id, location));
                }
            }
        }
        if let (Some(flow), Some(location), Some(flow_ids)) =
            (&item.entry.flow, &item.flow_location, &source.flow_ids)
            && !flow_ids.contains(flow)
        {
            let message = format!("entry `{id}`: flow `{flow}` does not exist in {}", flows_hint(flow_ids));
            diagnostics.push(Diagnostic::new(location.clone(), message));
        }
    }
    diagnostics
}

fn flows_hint(flow_ids: &HashSet<String>) -> String {
    let mut known: Vec<&str> = flow_ids.iter().map(String::as_str).collect();
    known.sort_unstable();
    if known.is_empty() {
        "the flows folder (no flows are defined)".to_string()
    } else {
        format!("the flows folder (known: {})", known.join(", "))
    }
}

#[cfg(test)]
mod tests;
