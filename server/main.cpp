// triaged: the patient triage chat server. Everything is wired in server/app.cpp.
#include "server/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    std::string config_path;
    for (int i = 1; i < argc; ++i) {
        if ((!std::strcmp(argv[i], "--config") || !std::strcmp(argv[i], "-c")) && i + 1 < argc) {
            config_path = argv[++i];
        } else if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
            std::puts("usage: triaged --config FILE\n  Settings and TRIAGE_* overrides: docs/configuration.md");
            return 0;
        } else {
            std::fprintf(stderr, "triaged: unknown argument %s (try --help)\n", argv[i]);
            return 2;
        }
    }
    std::string text;
    if (!config_path.empty()) {
        auto t = triage::server::read_text_file(config_path);
        if (!t) {
            std::fprintf(stderr, "triaged: cannot read %s\n", config_path.c_str());
            return 2;
        }
        text = *t;
    }
    auto cfg = triage::server::load_config(text, config_path.empty() ? "(defaults)" : config_path,
                                           [](const std::string& name) -> std::optional<std::string> {
                                               const char* v = std::getenv(name.c_str());
                                               return v ? std::optional<std::string>(v) : std::nullopt;
                                           });
    for (const auto& e : cfg.errors) std::fprintf(stderr, "triaged: config: %s\n", e.c_str());
    if (!cfg.loaded) return 2;
    return triage::server::run(*cfg.loaded);
}
