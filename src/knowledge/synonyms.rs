//! `knowledge/_synonyms.yaml`: synonym groups and words for the segmenter.

use std::collections::HashMap;
use std::path::Path;

use marked_yaml::Spanned;
use serde::Deserialize;

use crate::operator_yaml::{Diagnostic, deserialize_node, parse_document};
use crate::text::normalize;

/// The file name of the synonyms file inside the knowledge folder.
pub const SYNONYMS_FILE: &str = "_synonyms.yaml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsDoc {
    version: Spanned<u32>,
    #[serde(default)]
    synonyms: Vec<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    words: Vec<Spanned<String>>,
}

/// The validated content of a synonyms file (words normalised).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SynonymsFile {
    /// Groups of interchangeable words; the first is canonical.
    pub groups: Vec<Vec<String>>,
    /// Words the segmenter must keep whole.
    pub words: Vec<String>,
}

impl SynonymsFile {
    /// Parses and validates a synonyms file, reporting every problem.
    pub fn parse(file: &Path, text: &str) -> Result<SynonymsFile, Vec<Diagnostic>> {
        let node = parse_document(file, text).map_err(|d| vec![d])?;
        let doc: SynonymsDoc = deserialize_node(file, &node, "synonyms file").map_err(|d| vec![d])?;
        let mut diagnostics = Vec::new();
        if *doc.version != 1 {
            diagnostics.push(Diagnostic::at(
                file,
                doc.version.span(),
                format!("unsupported version {}, expected 1", *doc.version),
            ));
        }
        let mut group_of: HashMap<String, usize> = HashMap::new();
        let mut groups = Vec::new();
        for (index, group) in doc.synonyms.iter().enumerate() {
            if group.len() < 2 {
                diagnostics.push(Diagnostic::at(
                    file,
                    group.span(),
                    "a synonym group needs at least two words",
                ));
            }
            let mut words = Vec::new();
            for word in group.iter() {
                let normalized = normalize(word);
                if normalized.is_empty() {
                    diagnostics.push(Diagnostic::at(file, word.span(), "empty synonym"));
                    continue;
                }
                if let Some(previous) = group_of.insert(normalized.clone(), index) {
                    let message = if previous == index {
                        format!("`{}` is listed twice in this group", word.as_str())
                    } else {
                        format!(
                            "`{}` is already in synonym group {} (a word can be in one group only)",
                            word.as_str(),
                            previous + 1
                        )
                    };
                    diagnostics.push(Diagnostic::at(file, word.span(), message));
                    continue;
                }
                words.push(normalized);
            }
            groups.push(words);
        }
        let mut words = Vec::new();
        for word in &doc.words {
            let normalized = normalize(word);
            if normalized.is_empty() {
                diagnostics.push(Diagnostic::at(file, word.span(), "empty word"));
            } else {
                words.push(normalized);
            }
        }
        if diagnostics.is_empty() { Ok(SynonymsFile { groups, words }) } else { Err(diagnostics) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SynonymsFile, Vec<String>> {
        SynonymsFile::parse(Path::new("_synonyms.yaml"), text)
            .map_err(|ds| ds.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn groups_and_words_are_read_and_normalised() {
        let file = parse("version: 1\nsynonyms:\n  - [退款, 退錢]\nwords: [小程序, VIP会员]\n").unwrap();
        assert_eq!(file.groups, vec![vec!["退款".to_string(), "退钱".to_string()]]);
        assert_eq!(file.words, vec!["小程序".to_string(), "vip会员".to_string()]);
    }

    #[test]
    fn a_word_in_two_groups_is_an_error_at_its_second_place() {
        let errors = parse("version: 1\nsynonyms:\n  - [快递, 物流]\n  - [包裹, 物流]\n").unwrap_err();
        assert_eq!(
            errors,
            vec![
                "_synonyms.yaml:4:10: `物流` is already in synonym group 1 (a word can be in one group only)"
            ]
        );
    }

    #[test]
    fn unknown_fields_and_lonely_words_are_reported() {
        let errors = parse("version: 1\nsynonym:\n  - [a]\n").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].starts_with("_synonyms.yaml:2:1: synonyms file: unknown field `synonym`"),
            "{errors:?}"
        );
        let errors = parse("version: 1\nsynonyms:\n  - [独苗]\n").unwrap_err();
        assert_eq!(errors, vec!["_synonyms.yaml:3:5: a synonym group needs at least two words"]);
    }
}
