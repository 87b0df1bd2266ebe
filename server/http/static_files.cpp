#include "server/http/static_files.hpp"

#include <algorithm>

namespace triage::server::http {

std::optional<std::string> resolve_static_path(std::string_view web_root, std::string_view target) {
    if (target.empty() || target.front() != '/' || target.size() > 512) return std::nullopt;
    // No percent-decoding: our files have plain names, so any '%' is refused rather than decoded
    // (which is where traversal tricks like %2e%2e live).
    for (char c : target)
        if (c == '\\' || c == '\0' || c == '%' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
    std::size_t pos = 0;
    while (pos < target.size()) {
        std::size_t next = target.find('/', pos + 1);
        std::string_view seg = target.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
        if (!seg.empty() && seg.front() == '.') return std::nullopt;  // "..", ".git", ".env"
        pos = next == std::string_view::npos ? target.size() : next;
    }
    std::string path(web_root);
    while (!path.empty() && path.back() == '/') path.pop_back();
    path += target;
    if (path.back() == '/') path += "index.html";
    return path;
}

std::string_view mime_type(std::string_view path) {
    auto dot = path.rfind('.');
    std::string ext = dot == std::string_view::npos ? "" : std::string(path.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
    if (ext == "json") return "application/json";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
    if (ext == "ico") return "image/vnd.microsoft.icon";
    if (ext == "woff2") return "font/woff2";
    if (ext == "txt") return "text/plain; charset=utf-8";
    if (ext == "webmanifest") return "application/manifest+json";
    return "application/octet-stream";
}

}  // namespace triage::server::http
