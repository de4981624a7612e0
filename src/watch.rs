//! What makes `kefu serve` reload the knowledge and flows: an edit under their folders
//! (debounced, so saving ten files reloads once) and SIGHUP. `POST /api/v1/admin/reload`
//! is the third way.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::conversation::Service;

/// Quiet time after the last change before reloading.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// Starts the file watcher and the SIGHUP listener; abort the handles to stop them.
pub fn spawn_reload_triggers(service: &Arc<Service>) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    match watch_folders(service) {
        Ok(task) => tasks.push(task),
        // Reloading by signal or API still works.
        Err(error) => tracing::warn!(error = %error, "cannot watch the knowledge and flows folders"),
    }
    #[cfg(unix)]
    tasks.push(on_sighup(service.clone()));
    tasks
}

fn watch_folders(service: &Arc<Service>) -> notify::Result<JoinHandle<()>> {
    let (changed, mut changes) = mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !matches!(event.kind, EventKind::Access(_))
            && event.paths.iter().any(|path| is_operator_file(path))
        {
            let _ = changed.send(());
        }
    })?;
    for dir in [&service.config.knowledge_dir, &service.config.flows_dir] {
        watcher.watch(dir, RecursiveMode::Recursive)?;
    }
    let service = service.clone();
    Ok(tokio::spawn(async move {
        // The watcher lives as long as the task.
        let _watcher = watcher;
        while changes.recv().await.is_some() {
            // Wait until the edits settle: an editor writes, renames and touches.
            while tokio::time::timeout(DEBOUNCE, changes.recv()).await.is_ok_and(|c| c.is_some()) {}
            // Refusals are recorded and logged by `reload`.
            let _ = service.reload("watch").await;
        }
    }))
}

/// A YAML file, or a folder (a renamed folder may hold some); not an editor's swap file.
fn is_operator_file(path: &Path) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some(extension) => matches!(extension, "yaml" | "yml"),
        None => {
            !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.') || n.ends_with('~'))
        }
    }
}

#[cfg(unix)]
fn on_sighup(service: Arc<Service>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP");
            return;
        };
        while hangups.recv().await.is_some() {
            let _ = service.reload("sighup").await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::is_operator_file;
    use std::path::Path;

    #[test]
    fn yaml_files_and_folders_count_and_swap_files_do_not() {
        assert!(is_operator_file(Path::new("knowledge/shipping.yaml")));
        assert!(is_operator_file(Path::new("flows/tests")));
        assert!(!is_operator_file(Path::new("knowledge/.shipping.yaml.swp")));
        assert!(!is_operator_file(Path::new("knowledge/shipping.yaml~")));
    }
}
