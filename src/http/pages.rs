//! The browser front-ends: the chat widget and its demo shop page, the agents' workbench and
//! the admin pages. Plain HTML, CSS and JS compiled into the binary (no build step); with
//! `KEFU_WEB_DIR` set they are read from that folder on every request instead, so editing
//! them needs no rebuild.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::ApiError;

/// A file served at a path.
struct Asset {
    path: &'static str,
    file: &'static str,
    content_type: &'static str,
    body: &'static str,
    /// Part of the website channel (off with `web.enabled = false`).
    website: bool,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        file: "index.html",
        content_type: HTML,
        body: include_str!("web/index.html"),
        website: true,
    },
    Asset {
        path: "/widget.js",
        file: "widget.js",
        content_type: JS,
        body: include_str!("web/widget.js"),
        website: true,
    },
    Asset {
        path: "/agent",
        file: "agent.html",
        content_type: HTML,
        body: include_str!("web/agent.html"),
        website: false,
    },
    Asset {
        path: "/static/common.js",
        file: "common.js",
        content_type: JS,
        body: include_str!("web/common.js"),
        website: false,
    },
    Asset {
        path: "/static/agent.js",
        file: "agent.js",
        content_type: JS,
        body: include_str!("web/agent.js"),
        website: false,
    },
    Asset {
        path: "/static/agent.css",
        file: "agent.css",
        content_type: CSS,
        body: include_str!("web/agent.css"),
        website: false,
    },
    Asset {
        path: "/admin",
        file: "admin.html",
        content_type: HTML,
        body: include_str!("web/admin.html"),
        website: false,
    },
    Asset {
        path: "/static/admin.js",
        file: "admin.js",
        content_type: JS,
        body: include_str!("web/admin.js"),
        website: false,
    },
];

/// Routes for every page and asset.
pub fn routes(website: bool) -> Router<AppState> {
    let dev_dir: Option<Arc<PathBuf>> =
        std::env::var_os("KEFU_WEB_DIR").map(|dir| Arc::new(PathBuf::from(dir)));
    let mut router = Router::new();
    for asset in ASSETS {
        if asset.website && !website {
            continue;
        }
        let dev_dir = dev_dir.clone();
        router = router.route(asset.path, get(move || serve(asset, dev_dir)));
    }
    router
}

async fn serve(asset: &'static Asset, dev_dir: Option<Arc<PathBuf>>) -> Response {
    let body: Cow<'static, str> = match dev_dir {
        Some(dir) => match tokio::fs::read_to_string(dir.join(asset.file)).await {
            Ok(text) => Cow::Owned(text),
            Err(error) => return ApiError::not_found(format!("{}: {error}", asset.file)).into_response(),
        },
        None => Cow::Borrowed(asset.body),
    };
    // Pages always revalidate (a new release shows at once); the widget may be cached briefly
    // by the host sites' visitors.
    let cache = if asset.path == "/widget.js" { "public, max-age=300" } else { "no-cache" };
    ([(CONTENT_TYPE, asset.content_type), (CACHE_CONTROL, cache)], body).into_response()
}
