//! Dialog flows operators write in `flows/`.
//!
//! So far kefu only needs to know which flows exist, so that knowledge entries linking to a
//! flow (`flow: ID`) can be checked; each `flows/*.yaml` file declares its `id`.

use std::collections::HashSet;
use std::path::Path;

use crate::operator_yaml::{Diagnostic, Location, mapping_value, parse_document};

/// Reads the ids of the flows in `dir`; a missing folder means no flows.
pub fn load_flow_ids(dir: &Path) -> Result<HashSet<String>, Vec<Diagnostic>> {
    let Ok(read) = std::fs::read_dir(dir) else { return Ok(HashSet::new()) };
    let mut files: Vec<_> = read
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    let mut ids = HashSet::new();
    let mut diagnostics = Vec::new();
    for file in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) => {
                diagnostics
                    .push(Diagnostic::new(Location::file_start(&file), format!("cannot read file: {error}")));
                continue;
            }
        };
        let node = match parse_document(&file, &text) {
            Ok(node) => node,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        match mapping_value(&node, "id").and_then(|id| id.as_scalar()) {
            Some(id) if !id.as_str().trim().is_empty() => {
                if !ids.insert(id.as_str().trim().to_string()) {
                    let message = format!("duplicate flow id `{}`", id.as_str());
                    diagnostics.push(Diagnostic::at(&file, id.span(), message));
                }
            }
            _ => diagnostics.push(Diagnostic::new(Location::file_start(&file), "a flow file needs an `id`")),
        }
    }
    if diagnostics.is_empty() { Ok(ids) } else { Err(diagnostics) }
}
