//! Which route a request is for, and the CORS decision for its origin.

/// The proxy's routes (under its base path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /start`
    Start,
    /// `POST /check`
    Check,
    /// `GET /session/{uuid}`
    Status(String),
    /// `POST|GET /callback`
    Callback,
    /// `OPTIONS` on any proxy route.
    Preflight,
    /// A known path with another method; the methods it allows.
    WrongMethod(&'static str),
    /// Anything else.
    NotFound,
}

/// Routes `method` + `path` (the URL's path, no query).
pub fn route(base_path: &str, method: &str, path: &str) -> Route {
    let Some(rest) = path.strip_prefix(base_path) else {
        return Route::NotFound;
    };
    let (known, allow) = match rest.trim_end_matches('/') {
        "/start" => (Some(Route::Start), "POST, OPTIONS"),
        "/check" => (Some(Route::Check), "POST, OPTIONS"),
        "/callback" => (Some(Route::Callback), "GET, POST"),
        other => match other.strip_prefix("/session/") {
            Some(uuid) if !uuid.is_empty() && !uuid.contains('/') => {
                (Some(Route::Status(uuid.to_owned())), "GET, OPTIONS")
            }
            _ => (None, ""),
        },
    };
    let Some(known) = known else {
        return Route::NotFound;
    };
    match (method, &known) {
        ("OPTIONS", Route::Callback) => Route::WrongMethod(allow),
        ("OPTIONS", _) => Route::Preflight,
        ("POST", Route::Start | Route::Check | Route::Callback) => known,
        ("GET", Route::Status(_) | Route::Callback) => known,
        _ => Route::WrongMethod(allow),
    }
}

/// What the `Origin` header means for CORS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// No `Origin` (not a browser's cross-origin request), or the proxy's own origin.
    Same,
    /// An allowed origin: answer with CORS headers for it.
    Allowed(String),
    /// Another origin: refused before anything is done.
    Refused,
}

/// Decides the CORS treatment of a request from `origin` to `own_origin`.
pub fn check_origin(origin: Option<&str>, own_origin: &str, allowed: &[String]) -> Origin {
    match origin {
        None => Origin::Same,
        Some(origin) if origin.eq_ignore_ascii_case(own_origin) => Origin::Same,
        Some(origin) if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) => {
            Origin::Allowed(origin.to_owned())
        }
        Some(_) => Origin::Refused,
    }
}

/// `scheme://host[:port]` of an absolute URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// The path of an absolute URL (no query or fragment).
pub fn path_of(url: &str) -> &str {
    let rest = &url[origin_of(url).len()..];
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    match &rest[..end] {
        "" => "/",
        path => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let r = |m, p| route("/verify", m, p);
        assert_eq!(r("POST", "/verify/start"), Route::Start);
        assert_eq!(r("POST", "/verify/check/"), Route::Check);
        assert_eq!(r("GET", "/verify/session/abc"), Route::Status("abc".into()));
        assert_eq!(r("GET", "/verify/callback"), Route::Callback);
        assert_eq!(r("POST", "/verify/callback"), Route::Callback);
        assert_eq!(r("OPTIONS", "/verify/start"), Route::Preflight);
        assert_eq!(
            r("GET", "/verify/start"),
            Route::WrongMethod("POST, OPTIONS")
        );
        assert_eq!(
            r("DELETE", "/verify/session/abc"),
            Route::WrongMethod("GET, OPTIONS")
        );
        for path in [
            "/",
            "/verify",
            "/verify/",
            "/verifyx/start",
            "/verify/session/",
            "/verify/session/a/b",
            "/other/start",
        ] {
            assert_eq!(r("POST", path), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn origins() {
        let allowed = vec!["https://app.example.com".to_owned()];
        let own = "https://verify.example.com";
        assert_eq!(check_origin(None, own, &allowed), Origin::Same);
        assert_eq!(check_origin(Some(own), own, &allowed), Origin::Same);
        assert_eq!(
            check_origin(Some("https://app.example.com"), own, &allowed),
            Origin::Allowed("https://app.example.com".into())
        );
        assert_eq!(
            check_origin(Some("https://evil.example"), own, &allowed),
            Origin::Refused
        );
        assert_eq!(
            check_origin(Some("https://app.example.com"), own, &[]),
            Origin::Refused
        );
        assert_eq!(
            origin_of("https://h.example:8443/verify/start?x=1"),
            "https://h.example:8443"
        );
        assert_eq!(
            path_of("https://h.example:8443/verify/start?x=1"),
            "/verify/start"
        );
        assert_eq!(path_of("http://h"), "/");
    }
}
