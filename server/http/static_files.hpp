#pragma once
// Maps a request target to a file under the web root, refusing anything that could escape it.
// Pure apart from the final file read, which the caller does.

#include <optional>
#include <string>
#include <string_view>

namespace triage::server::http {

// Returns the file system path for `target` (path part only, query removed by the caller), or
// nothing if the target is unsafe: "..", backslashes, NUL, encoded separators, hidden files.
// A target ending in "/" maps to its index.html.
std::optional<std::string> resolve_static_path(std::string_view web_root, std::string_view target);

std::string_view mime_type(std::string_view path);

}  // namespace triage::server::http
