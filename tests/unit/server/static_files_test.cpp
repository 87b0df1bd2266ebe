#include "server/http/static_files.hpp"

#include <gtest/gtest.h>

using namespace triage::server::http;

TEST(static_files, maps_paths_under_root) {
    EXPECT_EQ(resolve_static_path("/srv/web", "/chat/chat.js"), "/srv/web/chat/chat.js");
    EXPECT_EQ(resolve_static_path("/srv/web/", "/"), "/srv/web/index.html");
    EXPECT_EQ(resolve_static_path("/srv/web", "/chat/"), "/srv/web/chat/index.html");
}

TEST(static_files, refuses_traversal) {
    for (const char* bad : {"/../etc/passwd", "/chat/../../x", "/%2e%2e/etc/passwd", "/..%2fetc", "/a\\..\\b",
                            "/.git/config", "/.env", "relative", "", "/chat/..", "/a\x01"}) {
        EXPECT_FALSE(resolve_static_path("/srv/web", bad)) << bad;
    }
}

TEST(static_files, content_types) {
    EXPECT_EQ(mime_type("/a/index.html"), "text/html; charset=utf-8");
    EXPECT_EQ(mime_type("/a/chat.js"), "text/javascript; charset=utf-8");
    EXPECT_EQ(mime_type("/a/chat.CSS"), "text/css; charset=utf-8");
    EXPECT_EQ(mime_type("/a/logo.svg"), "image/svg+xml");
    EXPECT_EQ(mime_type("/a/file"), "application/octet-stream");
}
