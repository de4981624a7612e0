//! Operator-written YAML (`knowledge/`, `flows/`): parsing that keeps positions, and the
//! `file:line:col: message` diagnostics every validation error is reported as.
//!
//! Operators edit these files by hand, so a mistake must point at the exact place, and one
//! run must report every mistake: documents are parsed into position-marked nodes and each
//! item (an entry, a flow) is deserialised on its own so one bad item hides no other.

use std::fmt;
use std::path::{Path, PathBuf};

use marked_yaml::{LoaderOptions, Marker, Node, Span, Spanned};
use serde::de::DeserializeOwned;

/// A place in an operator file: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as given to the loader.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// The start of a file, for errors that concern a whole file.
    pub fn file_start(file: &Path) -> Location {
        Location { file: file.to_path_buf(), line: 1, column: 1 }
    }

    /// The location of a span's start in `file` (the file start when the span is blank).
    pub fn of_span(file: &Path, span: &Span) -> Location {
        span.start().map_or_else(|| Location::file_start(file), |mark| Location::of_marker(file, mark))
    }

    fn of_marker(file: &Path, mark: &Marker) -> Location {
        Location { file: file.to_path_buf(), line: mark.line(), column: mark.column() }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// One validation error in an operator file, shown as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// What is wrong, naming the entry or flow id when there is one.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `location`.
    pub fn new(location: Location, message: impl Into<String>) -> Diagnostic {
        Diagnostic { location, message: message.into() }
    }

    /// A diagnostic at the start of a span in `file`.
    pub fn at(file: &Path, span: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Location::of_span(file, span), message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Sorts diagnostics by file and position so reports read top to bottom.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.location.file, a.location.line, a.location.column).cmp(&(
            &b.location.file,
            b.location.line,
            b.location.column,
        ))
    });
}

/// Parses a YAML document whose top level is a mapping; duplicate keys are errors.
pub fn parse_document(file: &Path, text: &str) -> Result<Node, Diagnostic> {
    let options = LoaderOptions::default().error_on_duplicate_keys(true);
    marked_yaml::parse_yaml_with_options(0, text, options)
        .map_err(|error| load_error_diagnostic(file, &error))
}

fn load_error_diagnostic(file: &Path, error: &marked_yaml::LoadError) -> Diagnostic {
    use marked_yaml::LoadError;
    let (mark, message) = match error {
        LoadError::TopLevelMustBeMapping(mark) => {
            (*mark, "the file must be a YAML mapping (key: value)".to_string())
        }
        LoadError::TopLevelMustBeSequence(mark) => (*mark, "the file must be a YAML list".to_string()),
        LoadError::UnexpectedAnchor(mark) => {
            (*mark, "YAML anchors and aliases are not supported".to_string())
        }
        LoadError::MappingKeyMustBeScalar(mark) => (*mark, "a mapping key must be plain text".to_string()),
        LoadError::UnexpectedTag(mark) => (*mark, "YAML tags (!something) are not supported".to_string()),
        LoadError::ScanError(mark, scan) => (*mark, format!("invalid YAML: {}", scan_error_message(scan))),
        LoadError::DuplicateKey(inner) => {
            let first_line = inner.prev_key.span().start().map_or(0, Marker::line);
            let mark = inner.key.span().start().copied().unwrap_or(Marker::new(0, 0, 1, 1));
            (mark, format!("duplicate key `{}` (first defined at line {first_line})", inner.key.as_str()))
        }
    };
    Diagnostic::new(Location::of_marker(file, &mark), message)
}

/// The scanner's own message without its trailing position (we print ours first).
fn scan_error_message(error: &impl fmt::Display) -> String {
    let text = error.to_string();
    match text.find(" at byte ") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Deserialises one node into `T`, turning a serde error into a positioned diagnostic.
pub fn deserialize_node<T: DeserializeOwned>(file: &Path, node: &Node, what: &str) -> Result<T, Diagnostic> {
    marked_yaml::from_node(node).map_err(|error| {
        let span = match &*error {
            // The deserialiser marks the mapping, not the offending key: find the key.
            marked_yaml::Error::UnknownFieldError(field, _, _) => find_key(node, field).copied(),
            _ => error.start_mark().map(Span::new_start),
        };
        let span = span.unwrap_or_else(|| *node_start(node));
        Diagnostic::at(file, &span, format!("{what}: {}", describe_serde_error(&error)))
    })
}

/// The span of the first mapping key named `key` in `node`, searching depth first.
fn find_key<'a>(node: &'a Node, key: &str) -> Option<&'a Span> {
    match node {
        Node::Scalar(_) => None,
        Node::Sequence(items) => items.iter().find_map(|item| find_key(item, key)),
        Node::Mapping(mapping) => mapping.iter().find_map(|(name, value)| {
            if name.as_str() == key { Some(name.span()) } else { find_key(value, key) }
        }),
    }
}

/// Where a node starts for an operator: a mapping's first key, else the node itself.
pub fn node_start(node: &Node) -> &Span {
    match node {
        Node::Mapping(mapping) => mapping.keys().next().map_or(node.span(), |key| key.span()),
        _ => node.span(),
    }
}

/// Rephrases serde's messages for operators: field names in backticks, no Rust type names.
fn describe_serde_error(error: &marked_yaml::FromNodeError) -> String {
    let text = error.to_string();
    let text = text.strip_prefix("Error: ").unwrap_or(&text);
    text.replace("Unknown field", "unknown field")
        .replace("missing field", "missing required field")
        .replace("invalid type: ", "wrong kind of value: ")
}

/// The node under `key` in a mapping node, if the node is a mapping and has it.
pub fn mapping_value<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.as_mapping().and_then(|mapping| mapping.get_node(key))
}

/// The `*.yaml` / `*.yml` files directly in `dir`, sorted by name (sub-folders are not read).
pub fn yaml_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file() && matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The regex crate's multi-line error, reduced to its explanatory last line.
pub fn regex_error_message(error: &regex::Error) -> String {
    let text = error.to_string();
    let last = text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or(&text);
    last.trim().trim_start_matches("error: ").to_string()
}

/// A string with the position it was read from.
pub type Positioned = Spanned<String>;

/// A node as JSON, with YAML's scalar typing: unquoted `true`/`false`, `null`/`~` and
/// numbers become JSON booleans, null and numbers; anything quoted stays text.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match node {
        Node::Scalar(scalar) => {
            let text = scalar.as_str();
            if !scalar.may_coerce() {
                return Value::String(text.to_string());
            }
            match text {
                "true" | "True" | "TRUE" => Value::Bool(true),
                "false" | "False" | "FALSE" => Value::Bool(false),
                "null" | "Null" | "NULL" | "~" | "" => Value::Null,
                _ => text
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| text.parse::<f64>().map(Value::from))
                    .unwrap_or_else(|_| Value::String(text.to_string())),
            }
        }
        Node::Sequence(items) => Value::Array(items.iter().map(to_json).collect()),
        Node::Mapping(mapping) => Value::Object(
            mapping.iter().map(|(key, value)| (key.as_str().to_string(), to_json(value))).collect(),
        ),
    }
}
